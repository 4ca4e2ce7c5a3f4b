#include "net/url.hpp"

#include <gtest/gtest.h>

using cove::net::parse_url;
using cove::net::resolve_url;

TEST(Url, SplitsHttpsUrlWithDefaultPort) {
  auto u = parse_url("https://api.githubcopilot.com/mcp/");
  EXPECT_TRUE(u.tls());
  EXPECT_EQ(u.host, "api.githubcopilot.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/mcp/");
  EXPECT_EQ(u.host_header(), "api.githubcopilot.com");
  EXPECT_EQ(u.origin(), "https://api.githubcopilot.com");
}

TEST(Url, KeepsPortQueryAndDropsFragment) {
  auto u = parse_url("http://127.0.0.1:3001/mcp?x=1#frag");
  EXPECT_EQ(u.port, 3001);
  EXPECT_EQ(u.target, "/mcp?x=1");
  EXPECT_EQ(u.host_header(), "127.0.0.1:3001");
  EXPECT_EQ(u.str(), "http://127.0.0.1:3001/mcp?x=1");
  EXPECT_EQ(parse_url("http://example.com").target, "/");
}

TEST(Url, Ipv6Literal) {
  auto u = parse_url("http://[::1]:8080/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.host_header(), "[::1]:8080");
}

TEST(Url, RejectsOtherSchemesCredentialsAndGarbage) {
  EXPECT_THROW(parse_url("ftp://example.com/"), std::invalid_argument);
  EXPECT_THROW(parse_url("https://user:secret@example.com/"), std::invalid_argument);
  EXPECT_THROW(parse_url("not a url"), std::invalid_argument);
  EXPECT_THROW(parse_url("/relative"), std::invalid_argument);
  try {
    parse_url("https://user:secret@example.com/");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("credentials"), std::string::npos);
  }
}

TEST(Url, ErrorsNeverQuoteTheUserinfo) {
  for (const char* url : {"https://user:s3cr3t@example.com/", "http://s3cr3t@127.0.0.1:1/a.git",
                          "ftp://x:s3cr3t@example.com/", "http://x:s3cr3t@:0/"}) {
    try {
      parse_url(url);
      ADD_FAILURE() << url;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
    }
  }
}

TEST(Url, FindsAndRemovesUserinfo) {
  using cove::net::has_userinfo;
  using cove::net::without_userinfo;
  struct Case {
    const char* url;
    bool userinfo;
    const char* without;
  };
  const Case cases[] = {
      {"http://x:TOKEN@127.0.0.1:1/acme/app.git", true, "http://127.0.0.1:1/acme/app.git"},
      {"http://TOKEN@host/a", true, "http://host/a"},
      {"https://a@b@host", true, "https://host"},
      {"http://host\\@evil/", true, "http://evil/"},
      {"https://github.com/o/r", false, "https://github.com/o/r"},
      {"https://github.com/o/r@v1", false, "https://github.com/o/r@v1"},
      {"https://host?q=a@b", false, "https://host?q=a@b"},
      {"https://host#a@b", false, "https://host#a@b"},
      {"not a url @ all", false, "not a url @ all"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(has_userinfo(c.url), c.userinfo) << c.url;
    EXPECT_EQ(without_userinfo(c.url), c.without) << c.url;
  }
}

TEST(Url, ResolvesRelativeEndpoint) {
  auto base = parse_url("http://127.0.0.1:3001/sse");
  auto u = resolve_url(base, "/message?sessionId=abc");
  EXPECT_EQ(u.str(), "http://127.0.0.1:3001/message?sessionId=abc");
  EXPECT_EQ(resolve_url(base, "http://other:1/x").origin(), "http://other:1");
}
