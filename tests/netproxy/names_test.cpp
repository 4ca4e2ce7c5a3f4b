// The egress proxy resolves names itself and connects only to addresses that passed its
// checks: a name whose answer mixes refused and allowed addresses reaches only the allowed
// ones, and a name with only refused addresses is refused. The names come from a private
// /etc/hosts in this test's own mount namespace (made in main, before any thread), so no
// DNS server and no address outside this machine is involved.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime/netproxy/proxy.hpp"
#include "tests/netproxy/fixtures.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace np = cove::netproxy;
namespace sb = cove::sandbox;
using cove::test::Output;

namespace {

// Names of this test's /etc/hosts. Several lines for one name give several addresses.
constexpr const char* kHosts =
    "169.254.169.254 mixed.cove.test\n"
    "127.0.0.1 mixed.cove.test\n"
    "169.254.169.254 metadata-only.cove.test\n"
    "10.255.255.1 private-only.cove.test\n";

class Names : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    origin_ = new cove::test::NodePeer({cove::test::netproxy_script("origin.mjs"), "http"}, {});
  }
  static void TearDownTestSuite() { delete origin_; }

  void SetUp() override { box_ = sb::Sandbox::start(sb::SandboxSpec{}); }

  Output fetch(const std::string& host, bool allow_private) {
    np::NetworkPolicy policy;
    policy.unrestricted = true;
    policy.allow_private_addresses = allow_private;
    handle_ = service_.serve_egress(np::listen_in_netns(box_->init_pid(), np::kEgressPort), policy);
    std::string url = "http://" + host + ":" + std::to_string(origin_->port()) + "/hello";
    Output o = cove::test::sh(*box_, "curl -sS --max-time 20 -w '\\nstatus=%{http_code}\\n' " + url,
                              {.timeout = std::chrono::seconds(40),
                               .env = {"PATH=/usr/bin:/bin", "http_proxy=http://127.0.0.1:3128"}});
    handle_.reset();
    return o;
  }

  static inline cove::test::NodePeer* origin_ = nullptr;
  np::ProxyService service_{np::ProxyOptions{}};
  std::unique_ptr<sb::Sandbox> box_;
  std::unique_ptr<np::ProxyService::Handle> handle_;
};

TEST_F(Names, AMixedAnswerReachesOnlyTheAllowedAddress) {
  // Private allowed: 127.0.0.1 passes, the metadata address never does; the proxy drops it
  // and connects to what passed.
  Output o = fetch("mixed.cove.test", true);
  EXPECT_EQ(o.at("status"), "200") << o.out << o.err;
  EXPECT_NE(o.out.find("hello from origin"), std::string::npos) << o.out;
  // Private refused: nothing of the answer passes.
  Output refused = fetch("mixed.cove.test", false);
  EXPECT_EQ(refused.at("status"), "403") << refused.out;
  EXPECT_EQ(refused.out.find("hello from origin"), std::string::npos) << refused.out;
}

TEST_F(Names, NamesWithOnlyRefusedAddressesAreRefused) {
  Output meta = fetch("metadata-only.cove.test", true);
  EXPECT_EQ(meta.at("status"), "403") << meta.out;
  EXPECT_NE(meta.out.find("metadata"), std::string::npos) << meta.out;
  Output priv = fetch("private-only.cove.test", false);
  EXPECT_EQ(priv.at("status"), "403") << priv.out;
  EXPECT_NE(priv.out.find("private"), std::string::npos) << priv.out;
}

}  // namespace

int main(int argc, char** argv) {
  // A private mount namespace for this process, made while it has one thread, with its own
  // /etc/hosts: the host's lines plus the test names.
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
    std::perror("names_test: private mount namespace (run as root)");
    return 1;
  }
  std::ostringstream hosts;
  hosts << std::ifstream("/etc/hosts").rdbuf() << "\n" << kHosts;
  char path[] = "/tmp/cove-names-hosts-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0 || ::write(fd, hosts.str().data(), hosts.str().size()) < 0 ||
      ::mount(path, "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
    std::perror("names_test: bind a test /etc/hosts");
    return 1;
  }
  ::close(fd);
  ::unlink(path);  // the bind keeps the file
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
