// ProxyService::fetch (web_fetch) against a node origin on the host's loopback: policy checks
// on every redirect hop, HTML to text, truncation, timeouts, TLS verification.
#include <gtest/gtest.h>

#include <chrono>

#include "runtime/netproxy/proxy.hpp"
#include "tests/netproxy/fixtures.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace np = cove::netproxy;
using namespace std::chrono_literals;

namespace {

np::NetworkPolicy local_ok() {
  np::NetworkPolicy p;
  p.unrestricted = true;
  p.allow_private_addresses = true;
  return p;
}

class Fetch : public cove::test::OriginsSuite {
 protected:
  static std::string url(const std::string& path) { return origin_->url(path); }

  // Expects fetch to throw E; returns its message.
  template <class E>
  std::string failure(const np::NetworkPolicy& policy, const std::string& u,
                      std::chrono::milliseconds timeout = 10s) {
    try {
      service_.fetch(policy, u, 100000, timeout);
    } catch (const E& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "unexpected exception type: " << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no exception for " << u;
    return "";
  }
  np::ProxyService service_{1};
};

}  // namespace

TEST_F(Fetch, HtmlBecomesReadableText) {
  auto r = service_.fetch(local_ok(), url("/html"), 100000, 10s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "Origin page\n\nWelcome\n\nFish & chips");
  EXPECT_FALSE(r.truncated);
  auto t = service_.fetch(local_ok(), url("/hello"), 100000, 10s);
  EXPECT_EQ(t.body, "hello from origin\n");
  auto missing = service_.fetch(local_ok(), url("/nothing-here"), 100000, 10s);
  EXPECT_EQ(missing.status, 404);
}

TEST_F(Fetch, LargeBodiesAreTruncated) {
  auto r = service_.fetch(local_ok(), url("/big?n=5000000"), 1000, 10s);
  EXPECT_EQ(r.body, std::string(1000, 'x'));
  EXPECT_TRUE(r.truncated);
  auto exact = service_.fetch(local_ok(), url("/big?n=1000"), 1000, 10s);
  EXPECT_EQ(exact.body.size(), 1000u);
  EXPECT_FALSE(exact.truncated);
}

TEST_F(Fetch, FollowsUpToFiveRedirects) {
  EXPECT_EQ(service_.fetch(local_ok(), url("/chain?n=5"), 1000, 10s).body, "end of chain\n");
  EXPECT_NE(
      failure<std::runtime_error>(local_ok(), url("/chain?n=6")).find("more than 5 redirects"),
      std::string::npos);
}

TEST_F(Fetch, EveryRedirectHopIsChecked) {
  auto to_metadata = failure<np::PolicyError>(
      local_ok(), url("/redirect?to=http://169.254.169.254/latest/meta-data/"));
  EXPECT_NE(to_metadata.find("169.254.169.254 is the cloud metadata address"), std::string::npos)
      << to_metadata;
  np::NetworkPolicy only_ip;
  only_ip.allowed_hosts = {"127.0.0.1"};
  only_ip.allow_private_addresses = true;
  EXPECT_EQ(service_.fetch(only_ip, url("/hello"), 1000, 10s).status, 200);
  auto to_name = failure<np::PolicyError>(
      only_ip, url("/redirect?to=http://localhost:" + std::to_string(origin_->port()) + "/hello"));
  EXPECT_NE(to_name.find("localhost is not in the environment's allowed_hosts"), std::string::npos)
      << to_name;
}

TEST_F(Fetch, PrivateAddressesNeedThePolicy) {
  np::NetworkPolicy strict;
  strict.unrestricted = true;
  auto why = failure<np::PolicyError>(strict, url("/hello"));
  EXPECT_NE(why.find("127.0.0.1 is a loopback address"), std::string::npos) << why;
}

TEST_F(Fetch, TimeoutsAndNetworkFailures) {
  auto start = std::chrono::steady_clock::now();
  auto slow = failure<std::runtime_error>(local_ok(), url("/hang"), 500ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_NE(slow.find("no answer within 500 ms"), std::string::npos) << slow;
  auto refused = failure<std::runtime_error>(local_ok(), "http://127.0.0.1:1/");
  EXPECT_NE(refused.find("cannot connect to http://127.0.0.1:1"), std::string::npos) << refused;
  auto bad = failure<std::runtime_error>(local_ok(), "ftp://example.com/");
  EXPECT_NE(bad.find("scheme must be http or https"), std::string::npos) << bad;
}

TEST_F(Fetch, HttpsIsVerified) {
  const std::string u = "https://127.0.0.1:" + std::to_string(tls_origin_->port()) + "/hello";
  auto unknown_ca = failure<std::runtime_error>(local_ok(), u);
  EXPECT_NE(unknown_ca.find("TLS handshake with 127.0.0.1"), std::string::npos) << unknown_ca;
  np::ProxyOptions trusting;
  trusting.extra_ca_file = cert_.cert;
  np::ProxyService with_ca(trusting);
  EXPECT_EQ(with_ca.fetch(local_ok(), u, 1000, 10s).body, "hello from origin (tls)\n");
  const std::string by_name = "https://localhost:" + std::to_string(tls_origin_->port()) + "/hello";
  EXPECT_EQ(with_ca.fetch(local_ok(), by_name, 1000, 10s).body, "hello from origin (tls)\n");
}
