// The proxies' decisions without any I/O: address classification, host matching, CONNECT
// authorities, git request routing, HTML reduction.
#include <gtest/gtest.h>

#include "net/block_on.hpp"
#include "net/url.hpp"
#include "runtime/netproxy/egress_policy.hpp"
#include "runtime/netproxy/git_route.hpp"
#include "runtime/netproxy/html_text.hpp"
#include "runtime/netproxy/relay.hpp"
#include "runtime/netproxy/runtime_target.hpp"

namespace np = cove::netproxy;
using np::AddressClass;

namespace {

AddressClass cls(const char* text) {
  auto ip = np::IpAddress::parse(text);
  EXPECT_TRUE(ip) << text;
  return ip ? np::classify(*ip) : AddressClass::global;
}

std::optional<std::string> refusal(const char* text, bool allow_private = false,
                                   std::vector<np::IpAddress> own = {}) {
  return np::address_refusal(*np::IpAddress::parse(text), own, allow_private);
}

np::NetworkPolicy limited(std::vector<std::string> hosts) {
  np::NetworkPolicy p;
  p.allowed_hosts = std::move(hosts);
  return p;
}

}  // namespace

TEST(AddressClass, Ipv4Ranges) {
  EXPECT_EQ(cls("8.8.8.8"), AddressClass::global);
  EXPECT_EQ(cls("1.1.1.1"), AddressClass::global);
  EXPECT_EQ(cls("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("127.255.1.2"), AddressClass::loopback);
  EXPECT_EQ(cls("0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(cls("0.1.2.3"), AddressClass::unspecified);
  EXPECT_EQ(cls("169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("169.254.1.1"), AddressClass::link_local);
  EXPECT_EQ(cls("10.1.2.3"), AddressClass::private_range);
  EXPECT_EQ(cls("172.16.0.1"), AddressClass::private_range);
  EXPECT_EQ(cls("172.31.255.255"), AddressClass::private_range);
  EXPECT_EQ(cls("172.32.0.1"), AddressClass::global);
  EXPECT_EQ(cls("192.168.1.1"), AddressClass::private_range);
  EXPECT_EQ(cls("100.64.0.1"), AddressClass::shared_cgnat);
  EXPECT_EQ(cls("100.127.255.255"), AddressClass::shared_cgnat);
  EXPECT_EQ(cls("100.128.0.1"), AddressClass::global);
  EXPECT_EQ(cls("100.100.100.200"), AddressClass::metadata);
  EXPECT_EQ(cls("224.0.0.1"), AddressClass::multicast);
  EXPECT_EQ(cls("239.255.255.250"), AddressClass::multicast);
  EXPECT_EQ(cls("240.0.0.1"), AddressClass::reserved);
  EXPECT_EQ(cls("255.255.255.255"), AddressClass::reserved);
}

TEST(AddressClass, Ipv6Ranges) {
  EXPECT_EQ(cls("2606:4700::1111"), AddressClass::global);
  EXPECT_EQ(cls("::1"), AddressClass::loopback);
  EXPECT_EQ(cls("::"), AddressClass::unspecified);
  EXPECT_EQ(cls("fe80::1"), AddressClass::link_local);
  EXPECT_EQ(cls("febf::1"), AddressClass::link_local);
  EXPECT_EQ(cls("fe80::1%eth0"), AddressClass::link_local);
  EXPECT_EQ(cls("fec0::1"), AddressClass::private_range);
  EXPECT_EQ(cls("fc00::1"), AddressClass::private_range);
  EXPECT_EQ(cls("fd12:3456::1"), AddressClass::private_range);
  EXPECT_EQ(cls("fd00:ec2::254"), AddressClass::metadata);
  EXPECT_EQ(cls("ff02::1"), AddressClass::multicast);
}

TEST(AddressClass, EmbeddedIpv4IsClassifiedByIt) {
  EXPECT_EQ(cls("::ffff:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("::ffff:7f00:1"), AddressClass::loopback);
  EXPECT_EQ(cls("::ffff:169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("::ffff:10.0.0.1"), AddressClass::private_range);
  EXPECT_EQ(cls("::ffff:8.8.8.8"), AddressClass::global);
  EXPECT_EQ(cls("::127.0.0.1"), AddressClass::loopback);         // v4-compatible
  EXPECT_EQ(cls("64:ff9b::a9fe:a9fe"), AddressClass::metadata);  // NAT64
  EXPECT_EQ(cls("64:ff9b::808:808"), AddressClass::global);
  EXPECT_EQ(cls("2002:7f00:1::1"), AddressClass::loopback);  // 6to4
  EXPECT_EQ(cls("2002:c0a8:101::1"), AddressClass::private_range);
  // The mapped form and the plain IPv4 form are the same address.
  EXPECT_EQ(*np::IpAddress::parse("::ffff:10.0.0.1"), *np::IpAddress::parse("10.0.0.1"));
  EXPECT_EQ(np::IpAddress::parse("::ffff:10.0.0.1")->str(), "10.0.0.1");
  EXPECT_EQ(np::IpAddress::parse("FE80::1")->str(), "fe80::1");
}

// Every IPv6 form that carries an IPv4 address through a translator is classified by that
// IPv4 address: SIIT, both NAT64 prefixes (RFC 8215's in each RFC 6052 layout), 6to4.
TEST(AddressClass, TranslatedIpv4FormsAreClassifiedByTheirIpv4) {
  struct Case {
    const char* address;
    AddressClass expected;
  };
  const Case cases[] = {
      // SIIT ::ffff:0:a.b.c.d (RFC 6145)
      {"::ffff:0:127.0.0.1", AddressClass::loopback},
      {"::ffff:0:7f00:1", AddressClass::loopback},
      {"::ffff:0:10.1.2.3", AddressClass::private_range},
      {"::ffff:0:169.254.169.254", AddressClass::metadata},
      {"::ffff:0:169.254.1.1", AddressClass::link_local},
      {"::ffff:0:8.8.8.8", AddressClass::global},
      // well-known NAT64 64:ff9b::/96
      {"64:ff9b::127.0.0.1", AddressClass::loopback},
      {"64:ff9b::a01:203", AddressClass::private_range},
      {"64:ff9b::a9fe:101", AddressClass::link_local},
      // RFC 8215 64:ff9b:1::/48, /96 layout (any prefix bits between)
      {"64:ff9b:1::127.0.0.1", AddressClass::loopback},
      {"64:ff9b:1:abcd::10.0.0.1", AddressClass::private_range},
      {"64:ff9b:1::169.254.169.254", AddressClass::metadata},
      {"64:ff9b:1::808:808", AddressClass::global},
      {"64:ff9b:1:1:2:3:808:808", AddressClass::global},
      // RFC 8215, /48 layout: a.b in bits 48..63, c.d in bits 72..87
      {"64:ff9b:1:7f00:0:100::", AddressClass::loopback},
      {"64:ff9b:1:a9fe:a9:fe00::", AddressClass::metadata},
      {"64:ff9b:1:808:8:800::", AddressClass::global},
      // RFC 8215, /56 and /64 layouts
      {"64:ff9b:1:7f:0:1::", AddressClass::loopback},      // /56: 127 | 0.0.1
      {"64:ff9b:1:0:7f:0:100::", AddressClass::loopback},  // /64: 127.0.0.1 in bits 72..103
      {"64:ff9b:1:0:a:102:300::", AddressClass::private_range},
      {"64:ff9b:1:0:8:808:800::", AddressClass::global},
      // 6to4 2002:aabb:ccdd::/48
      {"2002:7f00:1::", AddressClass::loopback},
      {"2002:a9fe:a9fe::1", AddressClass::metadata},
      {"2002:a00:1:1::1", AddressClass::private_range},
      {"2002:808:808::1", AddressClass::global},
      // not translation prefixes
      {"64:ff9b:2::7f00:1", AddressClass::global},
      {"2001:db8::7f00:1", AddressClass::global},
  };
  for (const auto& c : cases)
    EXPECT_EQ(cls(c.address), c.expected) << c.address;
}

TEST(AddressRefusal, TranslatedFormsOfLocalAddressesAreRefusedLikeThePlainIpv4) {
  struct Case {
    const char* address;
    const char* plain;
  };
  const Case cases[] = {
      {"::ffff:0:7f00:1", "127.0.0.1"},        {"::ffff:0:a00:1", "10.0.0.1"},
      {"64:ff9b::7f00:1", "127.0.0.1"},        {"64:ff9b:1::a9fe:a9fe", "169.254.169.254"},
      {"64:ff9b:1:7f00:0:100::", "127.0.0.1"}, {"2002:c0a8:101::1", "192.168.1.1"},
      {"2002:a9fe:101::", "169.254.1.1"},
  };
  for (bool allow_private : {false, true}) {
    for (const auto& c : cases) {
      auto translated = refusal(c.address, allow_private);
      auto plain = refusal(c.plain, allow_private);
      EXPECT_EQ(translated.has_value(), plain.has_value()) << c.address << " " << allow_private;
      if (!translated) continue;
      EXPECT_NE(translated->find(std::string("the IPv6 form of ") + c.plain), std::string::npos)
          << *translated;
      EXPECT_EQ(translated->find(" is " + std::string(c.plain) + " is "), std::string::npos);
    }
  }
}

TEST(AddressRefusal, HostsOwnAddressInTranslatedFormIsRefused) {
  std::vector<np::IpAddress> own = {*np::IpAddress::parse("192.0.2.2")};
  for (const char* ip : {"192.0.2.2", "64:ff9b::c000:202", "::ffff:0:c000:202",
                         "64:ff9b:1::c000:202", "2002:c000:202::1", "::192.0.2.2"}) {
    auto why = refusal(ip, false, own);
    ASSERT_TRUE(why) << ip;
    EXPECT_NE(why->find("an address of this machine"), std::string::npos) << *why;
    EXPECT_FALSE(refusal(ip, true, own)) << ip;
  }
  EXPECT_FALSE(refusal("64:ff9b::c000:203", false, own));
}

TEST(AddressRefusal, ReasonsNameTheAddressOnce) {
  EXPECT_EQ(refusal("127.0.0.1"),
            "127.0.0.1 is a loopback address (local and private addresses are closed to "
            "sandboxes)");
  EXPECT_EQ(refusal("::ffff:0:a00:1"),
            "::ffff:0:a00:1 is the IPv6 form of 10.0.0.1, a private-network address (local and "
            "private addresses are closed to sandboxes)");
}

TEST(AddressClass, ParseRejectsNames) {
  EXPECT_FALSE(np::IpAddress::parse("example.com"));
  EXPECT_FALSE(np::IpAddress::parse(""));
  EXPECT_FALSE(np::IpAddress::parse("1.2.3"));
  EXPECT_FALSE(np::IpAddress::parse("[::1]"));
}

TEST(AddressRefusal, DefaultRefusesEverythingLocal) {
  for (const char* ip : {"127.0.0.1", "::1", "0.0.0.0", "::", "10.0.0.1", "192.168.0.1",
                         "172.20.0.1", "100.64.1.1", "fd00::1", "169.254.169.254", "169.254.10.10",
                         "fe80::1", "224.0.0.1", "ff02::1", "::ffff:127.0.0.1"})
    EXPECT_TRUE(refusal(ip)) << ip;
  EXPECT_FALSE(refusal("8.8.8.8"));
  EXPECT_FALSE(refusal("2606:4700::1111"));
  EXPECT_NE(refusal("127.0.0.1")->find("127.0.0.1 is a loopback address"), std::string::npos)
      << *refusal("127.0.0.1");
}

TEST(AddressRefusal, HostsOwnAddressesAreRefused) {
  std::vector<np::IpAddress> own = {*np::IpAddress::parse("203.0.113.7")};
  auto why = refusal("203.0.113.7", false, own);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("an address of this machine"), std::string::npos) << *why;
  EXPECT_FALSE(refusal("203.0.113.8", false, own));
  EXPECT_FALSE(refusal("203.0.113.7", true, own));
}

TEST(AddressRefusal, AllowPrivateKeepsLinkLocalAndMetadataClosed) {
  for (const char* ip : {"127.0.0.1", "::1", "10.0.0.1", "192.168.0.1", "100.64.1.1", "fd00::1"})
    EXPECT_FALSE(refusal(ip, true)) << ip;
  for (const char* ip : {"169.254.169.254", "169.254.10.10", "fe80::1", "fd00:ec2::254",
                         "::ffff:169.254.169.254", "100.100.100.200"}) {
    auto why = refusal(ip, true);
    ASSERT_TRUE(why) << ip;
    EXPECT_NE(why->find("never"), std::string::npos) << *why;
  }
  EXPECT_NE(refusal("169.254.169.254", true)->find("metadata"), std::string::npos);
}

// The proxy's refusal as a client sees it (no connection is made: refused before).
TEST(AddressRefusal, ProxyMessagesSayItOnce) {
  auto refused = [](const std::string& host) {
    boost::asio::io_context io;
    np::NetworkPolicy open;
    open.unrestricted = true;
    try {
      cove::net::block_on(io, np::detail::resolve_checked(open, host, 80));
    } catch (const np::PolicyError& e) {
      return std::string(e.what());
    }
    return std::string("allowed");
  };
  EXPECT_EQ(refused("127.0.0.1"),
            "127.0.0.1 is a loopback address (local and private addresses are closed to "
            "sandboxes)");
  EXPECT_EQ(refused("64:ff9b::a9fe:a9fe"),
            "64:ff9b::a9fe:a9fe is the IPv6 form of 169.254.169.254, the cloud metadata "
            "address, which sandboxes may never reach");
  EXPECT_EQ(refused("localhost").rfind("localhost resolves to ", 0), 0u) << refused("localhost");
  EXPECT_EQ(refused("localhost").find(" is "), std::string::npos) << refused("localhost");
}

// MCP server and repository URLs from API clients, before the runtime connects to them.
// Only literals and localhost: nothing here leaves the machine.
TEST(RuntimeTarget, AddressRulesApplyToUrlsFromApiClients) {
  struct Case {
    const char* url;
    bool offline, allow_private;
    const char* refusal;  // a part of it; nullptr when allowed
  };
  const Case cases[] = {
      {"http://127.0.0.1:9/mcp", true, false, nullptr},
      {"http://localhost:9/acme/app.git", true, false, nullptr},
      {"http://[::1]:9/", true, false, nullptr},
      {"https://github.com/o/r", true, false,
       "cove runs offline and reaches only loopback addresses; github.com is not one"},
      {"http://10.0.0.1/", true, true, "is not one"},
      {"http://127.0.0.1:9/mcp", false, false,
       "127.0.0.1 is a loopback address (local and private addresses are closed to URLs from "
       "API clients); cove serve --allow-private-targets opens them"},
      {"http://localhost:9/", false, false, "localhost resolves to "},
      {"http://10.1.2.3/", false, false, "10.1.2.3 is a private-network address"},
      {"http://[64:ff9b::7f00:1]/", false, false, "the IPv6 form of 127.0.0.1, a loopback"},
      {"http://169.254.169.254/latest", false, false,
       "169.254.169.254 is the cloud metadata address, which URLs from API clients may never "
       "reach"},
      {"http://169.254.169.254/latest", false, true, "metadata"},
      {"http://[fe80::1]/", false, true, "link-local"},
      {"http://127.0.0.1:9/mcp", false, true, nullptr},
      {"http://10.1.2.3/", false, true, nullptr},
      {"http://8.8.8.8/", false, false, nullptr},
      {"ftp://8.8.8.8/", false, false, "scheme must be http or https"},
  };
  for (const auto& c : cases) {
    auto why = np::runtime_target_refusal(c.url, {c.offline, c.allow_private});
    if (!c.refusal) {
      EXPECT_FALSE(why) << c.url << ": " << *why;
      continue;
    }
    ASSERT_TRUE(why) << c.url;
    EXPECT_NE(why->find(c.refusal), std::string::npos) << c.url << ": " << *why;
    if (std::string(c.refusal).find("never") != std::string::npos) {
      EXPECT_EQ(why->find("--allow-private-targets"), std::string::npos) << *why;
    }
  }
  auto why = np::runtime_target_refusal("http://x:s3cr3t@127.0.0.1:9/a.git", {true, false});
  ASSERT_TRUE(why);
  EXPECT_EQ(why->find("s3cr3t"), std::string::npos) << *why;
}

TEST(HostMatching, ExactAndWildcardCaseInsensitive) {
  auto p = limited({"api.example.com", "*.github.com", "Pypi.ORG", "10.0.0.5", "[::1]"});
  EXPECT_TRUE(np::host_allowed(p, "api.example.com"));
  EXPECT_TRUE(np::host_allowed(p, "API.Example.COM"));
  EXPECT_FALSE(np::host_allowed(p, "example.com"));
  EXPECT_FALSE(np::host_allowed(p, "www.api.example.com"));
  EXPECT_TRUE(np::host_allowed(p, "codeload.github.com"));
  EXPECT_TRUE(np::host_allowed(p, "a.b.GitHub.com"));
  EXPECT_FALSE(np::host_allowed(p, "github.com")) << "*.suffix does not match the suffix itself";
  EXPECT_FALSE(np::host_allowed(p, "evilgithub.com"));
  EXPECT_FALSE(np::host_allowed(p, "github.com.evil.net"));
  EXPECT_TRUE(np::host_allowed(p, "pypi.org"));
  EXPECT_TRUE(np::host_allowed(p, "10.0.0.5"));
  EXPECT_TRUE(np::host_allowed(p, "::1"));
  EXPECT_FALSE(np::host_allowed(limited({}), "example.com"));
  np::NetworkPolicy open;
  open.unrestricted = true;
  EXPECT_TRUE(np::host_allowed(open, "anything.example"));
}

TEST(HostMatching, Normalization) {
  EXPECT_EQ(np::normalize_host("Example.COM."), "example.com");
  EXPECT_EQ(np::normalize_host("[::1]"), "::1");
  EXPECT_EQ(np::normalize_host("[FE80::1]"), "fe80::1");
  EXPECT_EQ(np::normalize_host("10.0.0.1"), "10.0.0.1");
  EXPECT_FALSE(np::normalize_host(""));
  EXPECT_FALSE(np::normalize_host("a..b"));
  EXPECT_FALSE(np::normalize_host("exa mple.com"));
  EXPECT_FALSE(np::normalize_host("host/path"));
  EXPECT_FALSE(np::normalize_host("[::ffff:zz]"));
  EXPECT_FALSE(np::normalize_host("[fe80::1%eth0]"));
  EXPECT_FALSE(np::normalize_host(std::string(64, 'a') + ".com"));
}

TEST(HostMatching, PackageManagerHosts) {
  np::NetworkPolicy p;
  p.allowed_hosts = np::package_manager_hosts();
  for (const char* host : {"pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "crates.io",
                           "proxy.golang.org", "rubygems.org", "deb.debian.org"})
    EXPECT_TRUE(np::host_allowed(p, host)) << host;
  EXPECT_FALSE(np::host_allowed(p, "evil.example"));
  for (const auto& h : np::package_manager_hosts())
    EXPECT_EQ(np::normalize_host(h), h);
}

TEST(Authority, HostAndPort) {
  auto a = np::parse_authority("Example.com:443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 443);
  auto b = np::parse_authority("[2001:db8::1]:8443");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "2001:db8::1");
  EXPECT_EQ(b->port, 8443);
  for (const char* bad : {"example.com", "example.com:", "example.com:0", "example.com:65536",
                          "example.com:80x", "2001:db8::1:443", "[2001:db8::1]", ":80", "[::1]80"})
    EXPECT_FALSE(np::parse_authority(bad)) << bad;
}

TEST(GitRoute, ServedPaths) {
  auto r = np::parse_git_route("/repo.git/info/refs?service=git-upload-pack");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "repo");
  EXPECT_EQ(r->kind, np::GitRoute::Kind::info_refs);
  EXPECT_EQ(r->rest, "/info/refs?service=git-upload-pack");
  EXPECT_EQ(r->method(), "GET");

  r = np::parse_git_route("/my-repo_1.x/git-receive-pack");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "my-repo_1.x");
  EXPECT_EQ(r->kind, np::GitRoute::Kind::receive_pack);
  EXPECT_EQ(r->method(), "POST");

  r = np::parse_git_route("/repo/git-upload-pack");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "repo");
  EXPECT_EQ(r->rest, "/git-upload-pack");
  EXPECT_TRUE(np::parse_git_route("/repo/info/refs?service=git-receive-pack"));
}

TEST(GitRoute, EverythingElseIsRefused) {
  for (const char* bad :
       {"/", "/repo.git", "/repo.git/", "/repo.git/info/refs", "/repo.git/info/refs?service=x",
        "/repo.git/HEAD", "/repo.git/objects/info/packs", "/a/b/git-upload-pack",
        "/../git-upload-pack", "/./git-upload-pack", "/.git/git-upload-pack",
        "/repo%2f/git-upload-pack", "/repo.git/git-upload-pack?x=1",
        "http://host/repo.git/git-upload-pack", "repo.git/git-upload-pack",
        "/repo.git/info/refs?service=git-upload-pack&x=1"})
    EXPECT_FALSE(np::parse_git_route(bad)) << bad;
}

TEST(GitRoute, UpstreamTargetKeepsTheRemotesOwnSuffix) {
  auto refs = *np::parse_git_route("/repo.git/info/refs?service=git-upload-pack");
  auto pack = *np::parse_git_route("/repo/git-upload-pack");
  auto with_git = cove::net::parse_url("http://127.0.0.1:8421/o/r.git");
  auto without = cove::net::parse_url("https://github.com/owner/repo");
  auto slash = cove::net::parse_url("https://example.com/owner/repo/");
  auto root = cove::net::parse_url("https://git.example.com");
  auto query = cove::net::parse_url("https://example.com/r.git?ref=1");
  EXPECT_EQ(np::upstream_target(with_git, refs), "/o/r.git/info/refs?service=git-upload-pack");
  EXPECT_EQ(np::upstream_target(with_git, pack), "/o/r.git/git-upload-pack");
  EXPECT_EQ(np::upstream_target(without, refs), "/owner/repo/info/refs?service=git-upload-pack");
  EXPECT_EQ(np::upstream_target(without, pack), "/owner/repo/git-upload-pack");
  EXPECT_EQ(np::upstream_target(slash, pack), "/owner/repo/git-upload-pack");
  EXPECT_EQ(np::upstream_target(root, pack), "/git-upload-pack");
  EXPECT_EQ(np::upstream_target(query, refs), "/r.git/info/refs?service=git-upload-pack&ref=1");
  EXPECT_EQ(np::upstream_target(query, pack), "/r.git/git-upload-pack?ref=1");
}

TEST(HtmlText, StripsMarkupScriptsAndStyles) {
  std::string html = R"(<!DOCTYPE html><html><head><title>The Title</title>
<style>body { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body><!-- a comment --><h1>Heading</h1><p>First   paragraph
with <b>bold</b> and <a href="/x?a=1&amp;b=2">a link</a>.</p>
<ul><li>one</li><li>two</li></ul><p>a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#39;s&#39;
&copy; &#x263A; &#9731; &nbsp;end&hellip;</p><SCRIPT type="x">also gone</SCRIPT>
<p>5 < 6</p><noscript>enable js</noscript></body></html>)";
  std::string text = np::html_to_text(html);
  EXPECT_EQ(text,
            "The Title\n\nHeading\n\nFirst paragraph with bold and a link.\n\n- one\n\n- two\n\n"
            "a < b && c > d \"q\" 's' \xC2\xA9 \xE2\x98\xBA \xE2\x98\x83 end\xE2\x80\xA6\n\n5 < 6")
      << text;
}

TEST(HtmlText, UnknownEntitiesAndBrokenMarkupSurvive) {
  EXPECT_EQ(np::html_to_text("a &bogus; b &#xZZ; c & d"), "a &bogus; b &#xZZ; c & d");
  EXPECT_EQ(np::html_to_text("<p>unterminated <b"), "unterminated");
  EXPECT_EQ(np::html_to_text("<script>never closed"), "");
  EXPECT_EQ(np::html_to_text("x<br>y<br/>z"), "x\ny\nz");
  EXPECT_EQ(np::html_to_text("<td>a</td><td>b</td>"), "a b");
  EXPECT_EQ(np::html_to_text("<a title='x>y'>link</a>"), "link");
}

TEST(HtmlText, TruncationKeepsUtf8Whole) {
  std::string s = "ab\xE2\x98\x83";  // "ab☃": the snowman is 3 bytes
  std::string t = s;
  EXPECT_TRUE(np::truncate_utf8(t, 4));
  EXPECT_EQ(t, "ab");
  t = s;
  EXPECT_FALSE(np::truncate_utf8(t, 5));
  EXPECT_EQ(t, s);
  t = s;
  EXPECT_TRUE(np::truncate_utf8(t, 2));
  EXPECT_EQ(t, "ab");
}
