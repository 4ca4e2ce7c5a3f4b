// The egress proxy from inside a real sandbox (root): curl in the sandbox talks to the proxy's
// listener in the sandbox's own network namespace; the proxy reaches an origin server on the
// host's loopback only when the policy allows it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "runtime/netproxy/proxy.hpp"
#include "tests/netproxy/fixtures.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace np = cove::netproxy;
namespace sb = cove::sandbox;
using cove::test::Output;
using cove::test::sh;

namespace {

np::NetworkPolicy open_policy(bool allow_private) {
  np::NetworkPolicy p;
  p.unrestricted = true;
  p.allow_private_addresses = allow_private;
  return p;
}

np::NetworkPolicy limited(std::vector<std::string> hosts, bool allow_private) {
  np::NetworkPolicy p;
  p.allowed_hosts = std::move(hosts);
  p.allow_private_addresses = allow_private;
  return p;
}

std::vector<std::string> proxy_env() {
  return {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
          "http_proxy=http://127.0.0.1:3128", "https_proxy=http://127.0.0.1:3128"};
}

np::ProxyOptions options(std::chrono::milliseconds idle = std::chrono::seconds(30)) {
  np::ProxyOptions o;
  o.threads = 2;
  o.idle_timeout = idle;
  return o;
}

class Egress : public cove::test::OriginsSuite {
 protected:
  void SetUp() override { box_ = sb::Sandbox::start(sb::SandboxSpec{}); }

  void serve(np::NetworkPolicy policy) {
    handle_ = service_.serve_egress(np::listen_in_netns(box_->init_pid(), np::kEgressPort), policy);
  }

  // curl inside the sandbox, through the proxy; prints "status=<code>" and the `write_out`
  // variables (curl -w syntax, one "name=%{var}" a line) after the body.
  Output curl(const std::string& args, const std::string& write_out = "") {
    return sh(*box_,
              "curl -sS --max-time 30 -w '\\nstatus=%{http_code}\\n" + write_out + "' " + args,
              {.timeout = std::chrono::seconds(60), .env = proxy_env()});
  }
  static std::string origin(const std::string& path) { return origin_->url(path); }
  static std::string tls_origin(const std::string& path) {
    return "https://127.0.0.1:" + std::to_string(tls_origin_->port()) + path;
  }

  np::ProxyService service_{options()};
  std::unique_ptr<sb::Sandbox> box_;
  std::unique_ptr<np::ProxyService::Handle> handle_;  // destroyed before the service
};

}  // namespace

TEST(ListenInNetns, ErrorsNameTheStep) {
  try {
    np::listen_in_netns(999999999, np::kEgressPort);
    FAIL() << "expected system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("open /proc/999999999/ns/net"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST_F(Egress, TheListenerIsInsideTheSandbox) {
  serve(open_policy(true));
  // A second listener on the same port in the same namespace is refused, naming the step.
  try {
    np::listen_in_netns(box_->init_pid(), np::kEgressPort);
    FAIL() << "expected EADDRINUSE";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(e.what()).find("bind 127.0.0.1:3128"), std::string::npos) << e.what();
  }
  // Another sandbox has its own port 3128.
  auto other = sb::Sandbox::start(sb::SandboxSpec{});
  auto fd = np::listen_in_netns(other->init_pid(), np::kEgressPort);
  EXPECT_TRUE(fd);
  // Inside, 127.0.0.1:3128 answers; a request not meant for a proxy is a 400 saying so.
  Output o = sh(*box_, "curl -sS -w '\\nstatus=%{http_code}\\n' http://127.0.0.1:3128/hello",
                {.env = {"PATH=/usr/bin:/bin"}});
  EXPECT_EQ(o.at("status"), "400") << o.out << o.err;
  EXPECT_NE(o.out.find("send absolute-URI requests"), std::string::npos) << o.out;
}

TEST_F(Egress, ReachesTheHostWhenPrivateAddressesAreAllowed) {
  serve(open_policy(true));
  Output o = curl(origin("/hello"));
  EXPECT_EQ(o.at("status"), "200") << o.err;
  EXPECT_NE(o.out.find("hello from origin"), std::string::npos) << o.out;
  // The origin sees a plain request: Host set, no proxy headers.
  Output h = curl("-H 'Proxy-Authorization: Basic c2VjcmV0' " + origin("/headers"));
  EXPECT_NE(h.out.find("\"host\":\"127.0.0.1:" + std::to_string(origin_->port()) + "\""),
            std::string::npos)
      << h.out;
  EXPECT_EQ(h.out.find("proxy-"), std::string::npos) << h.out;
  // Keep-alive between the client and the proxy: two URLs, one curl, both answered.
  Output two = curl(origin("/hello") + " " + origin("/hello"));
  size_t first = two.out.find("hello from origin");
  ASSERT_NE(first, std::string::npos) << two.out << two.err;
  EXPECT_NE(two.out.find("hello from origin", first + 1), std::string::npos) << two.out;
}

TEST_F(Egress, LimitedPolicyDeniesHostsItDoesNotList) {
  serve(limited({"example.com", "*.example.org"}, true));
  Output o = curl(origin("/hello"));
  EXPECT_EQ(o.at("status"), "403");
  EXPECT_NE(o.out.find("denied: 127.0.0.1 is not in the environment's allowed_hosts"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("hello from origin"), std::string::npos);
  // CONNECT is held to the same rule.
  Output t = curl("-k " + tls_origin("/hello"));
  EXPECT_NE(t.status.code, 0);
  EXPECT_NE(t.err.find("403"), std::string::npos) << t.err;
}

TEST_F(Egress, LimitedPolicyLetsListedHostsThrough) {
  serve(limited({"LOCALHOST", "127.0.0.1"}, true));
  EXPECT_NE(curl(origin("/hello")).out.find("hello from origin"), std::string::npos);
  Output by_name = curl("http://localhost:" + std::to_string(origin_->port()) + "/hello");
  EXPECT_NE(by_name.out.find("hello from origin"), std::string::npos) << by_name.out << by_name.err;
}

TEST_F(Egress, LoopbackAndLocalNamesAreRefusedByDefault) {
  serve(open_policy(false));
  Output o = curl(origin("/hello"));
  EXPECT_EQ(o.at("status"), "403");
  EXPECT_NE(o.out.find("127.0.0.1 is a loopback address"), std::string::npos) << o.out;
  Output n = curl("http://localhost:" + std::to_string(origin_->port()) + "/hello");
  EXPECT_EQ(n.at("status"), "403");
  EXPECT_NE(n.out.find("localhost resolves to"), std::string::npos) << n.out;
  EXPECT_NE(n.out.find("loopback"), std::string::npos) << n.out;
  for (const char* url : {"http://10.1.2.3/", "http://[::1]:80/", "http://0.0.0.0:80/",
                          "http://[::ffff:127.0.0.1]:80/", "http://100.64.0.1/"}) {
    Output r = curl(url);
    EXPECT_EQ(r.at("status"), "403") << url << ": " << r.out << r.err;
  }
}

TEST_F(Egress, MetadataAndLinkLocalStayRefusedWithPrivateAllowed) {
  serve(open_policy(true));
  Output o = curl("http://169.254.169.254/latest/meta-data/");
  EXPECT_EQ(o.at("status"), "403");
  EXPECT_NE(o.out.find("169.254.169.254 is the cloud metadata address"), std::string::npos)
      << o.out;
  Output l = curl("http://169.254.1.1/");
  EXPECT_EQ(l.at("status"), "403");
  EXPECT_NE(l.out.find("link-local"), std::string::npos) << l.out;
  Output t = curl("-v -k https://169.254.169.254/");
  EXPECT_NE(t.status.code, 0);
  EXPECT_NE(t.err.find("403"), std::string::npos) << t.err;
}

TEST_F(Egress, ConnectTunnelsTls) {
  serve(open_policy(true));
  Output o = curl("-k " + tls_origin("/hello"));
  EXPECT_EQ(o.at("status"), "200") << o.err;
  EXPECT_NE(o.out.find("hello from origin (tls)"), std::string::npos) << o.out;
  // Plain HTTP through a CONNECT tunnel (curl -p), with several requests on it.
  Output p = curl("-p " + origin("/hello") + " " + origin("/hello"));
  EXPECT_EQ(p.at("status"), "200") << p.err;
}

TEST_F(Egress, StreamsResponsesAndRequestsWithoutBuffering) {
  serve(open_policy(true));
  // 20 ticks 100 ms apart: the first byte must arrive long before the end.
  Output d = curl("-o /dev/null " + origin("/drip?n=20"),
                  "first=%{time_starttransfer}\\ntotal=%{time_total}\\n");
  double first = std::stod(d.at("first")), total = std::stod(d.at("total"));
  EXPECT_LT(first, 1.0) << d.out;
  EXPECT_GT(total, 1.8) << d.out;
  // A chunked upload with a pause in the middle reaches the origin as it is sent.
  Output u = sh(*box_,
                "(head -c 100000 /dev/zero; sleep 1.5; head -c 100000 /dev/zero) | curl -sS "
                "--max-time 30 -T - -X POST -H 'Transfer-Encoding: chunked' " +
                    origin("/upload"),
                {.timeout = std::chrono::seconds(60), .env = proxy_env()});
  EXPECT_NE(u.out.find("\"bytes\":200000"), std::string::npos) << u.out << u.err;
  EXPECT_NE(u.out.find("\"chunked\":\"chunked\""), std::string::npos) << u.out;
  auto gap_at = u.out.find("\"gap_ms\":");
  ASSERT_NE(gap_at, std::string::npos) << u.out;
  EXPECT_GT(std::stoi(u.out.substr(gap_at + 9)), 1000) << u.out;
  // curl asks a large upload to wait for "100 Continue" (for a second at most); the proxy
  // answers at once.
  Output e = sh(*box_,
                "head -c 2000000 /dev/zero > /tmp/up && curl -sS --max-time 30 -T /tmp/up -X POST "
                "-w '\\ntotal=%{time_total}\\n' " +
                    origin("/upload"),
                {.timeout = std::chrono::seconds(60), .env = proxy_env()});
  EXPECT_NE(e.out.find("\"bytes\":2000000"), std::string::npos) << e.out << e.err;
  EXPECT_LT(std::stod(e.at("total")), 0.9) << e.out;
  // A large download arrives whole.
  Output big = curl("-o /dev/null " + origin("/big?n=52428800"), "size=%{size_download}\\n");
  EXPECT_EQ(big.at("size"), "52428800") << big.err;
}

TEST_F(Egress, BadRequestsAndUnreachableUpstreams) {
  serve(open_policy(true));
  Output closed = curl("http://127.0.0.1:1/");
  EXPECT_EQ(closed.at("status"), "502");
  EXPECT_NE(closed.out.find("cannot connect to 127.0.0.1:1"), std::string::npos) << closed.out;
  Output unknown = curl("http://no-such-host.invalid/");
  EXPECT_EQ(unknown.at("status"), "502");
  EXPECT_NE(unknown.out.find("cannot resolve no-such-host.invalid"), std::string::npos)
      << unknown.out;
  Output garbage = sh(
      *box_,
      "printf 'NOT HTTP AT ALL\\r\\n\\r\\n' | timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/3128; "
      "cat >&3; cat <&3'",
      {.env = {"PATH=/usr/bin:/bin"}});
  EXPECT_NE(garbage.out.find("400"), std::string::npos) << garbage.out << garbage.err;
  Output bad_connect =
      sh(*box_,
         "printf 'CONNECT nohostport HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | timeout 10 "
         "bash -c 'exec 3<>/dev/tcp/127.0.0.1/3128; cat >&3; cat <&3'",
         {.env = {"PATH=/usr/bin:/bin"}});
  EXPECT_NE(bad_connect.out.find("400"), std::string::npos) << bad_connect.out;
  EXPECT_NE(bad_connect.out.find("CONNECT needs host:port"), std::string::npos) << bad_connect.out;
}

TEST_F(Egress, IdleTunnelsAreClosed) {
  np::ProxyService quick(options(std::chrono::milliseconds(1000)));
  auto handle =
      quick.serve_egress(np::listen_in_netns(box_->init_pid(), np::kEgressPort), open_policy(true));
  auto start = std::chrono::steady_clock::now();
  Output o = curl("-p " + origin("/hang"));  // a tunnel to a server that never answers
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(o.status.code, 0) << o.out;
  EXPECT_LT(took, std::chrono::seconds(8)) << o.err;
  // Traffic keeps a tunnel alive past the idle limit: 20 ticks over 2 s.
  Output d = curl("-p " + origin("/drip?n=20"));
  EXPECT_EQ(d.out.substr(0, 5), "tick\n") << d.err;
  EXPECT_EQ(d.at("status"), "200") << d.err;
}

TEST_F(Egress, DestroyingTheHandleClosesConnections) {
  serve(open_policy(true));
  Output running;
  std::thread client([&] { running = curl("-p " + origin("/drip?n=600")); });  // 60 s
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto start = std::chrono::steady_clock::now();
  handle_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(running.status.code, 0);
  EXPECT_NE(running.out.find("tick"), std::string::npos) << "it was running";
  Output after = curl(origin("/hello"));
  EXPECT_EQ(after.status.code, 7) << "connection refused: " << after.err;
}

TEST_F(Egress, ConnectionsPerSandboxAreCapped) {
  np::ProxyOptions o = options();
  o.max_connections = 2;
  np::ProxyService capped(o);
  auto handle = capped.serve_egress(np::listen_in_netns(box_->init_pid(), np::kEgressPort),
                                    open_policy(true));
  Output held = cove::test::run(*box_, {"python3", "-c",
                                        "import socket\n"
                                        "s = [socket.create_connection(('127.0.0.1', 3128)) "
                                        "for _ in range(3)]\n"
                                        "for i, c in enumerate(s):\n"
                                        "  c.settimeout(1.0)\n"
                                        "  try:\n"
                                        "    print(f'{i}=' + ('closed' if c.recv(1) == b'' else "
                                        "'data'))\n"
                                        "  except socket.timeout:\n"
                                        "    print(f'{i}=open')\n"
                                        "  except OSError:\n"
                                        "    print(f'{i}=closed')\n"});
  EXPECT_EQ(held.out, "0=open\n1=open\n2=closed\n") << held.err;
  // Once those are gone, connections are accepted again.
  Output after = sh(
      *box_,
      "for i in 1 2 3 4 5; do curl -sS " + origin("/hello") + " && exit 0; sleep 0.2; done; exit 1",
      {.env = proxy_env()});
  EXPECT_EQ(after.out, "hello from origin\n") << after.err;
}

TEST_F(Egress, TunnelThroughput) {
  serve(open_policy(true));
  const std::string n = "524288000";  // 500 MiB
  Output t = curl("-p -o /dev/null " + origin("/big?n=" + n), "speed=%{speed_download}\\n");
  Output f = curl("-o /dev/null " + origin("/big?n=" + n), "speed=%{speed_download}\\n");
  ASSERT_EQ(t.at("status"), "200") << t.err;
  double tunnel = std::stod(t.at("speed")) / 1e6, forward = std::stod(f.at("speed")) / 1e6;
  std::string direct_speed;
  {
    FILE* p = ::popen(
        ("curl -sS -o /dev/null -w '%{speed_download}' " + origin("/big?n=" + n)).c_str(), "r");
    char buf[64] = {};
    if (p && std::fgets(buf, sizeof buf, p)) direct_speed = buf;
    if (p) ::pclose(p);
  }
  double direct = direct_speed.empty() ? 0 : std::stod(direct_speed) / 1e6;
  std::printf(
      "[ throughput ] CONNECT tunnel %.0f MB/s, absolute-URI forward %.0f MB/s, "
      "direct on the host %.0f MB/s (500 MiB each)\n",
      tunnel, forward, direct);
  RecordProperty("tunnel_MBps", std::to_string(tunnel));
  EXPECT_GT(tunnel, 20.0);
}
