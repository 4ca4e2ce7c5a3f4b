// Tokens, credentials and GitHub's access answers (runtime/forge/access.hpp).
#include "runtime/forge/access.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace cove::forge {
namespace {

TEST(ForgeTokens, AreGitHubShapedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto t = generate_token();
    ASSERT_EQ(t.size(), 40u);
    ASSERT_EQ(t.substr(0, 4), "ghp_");
    for (char c : t.substr(4))
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ForgeTokens, HashIsSha256Hex) {
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_hint("ghp_abcdefghij"), "ghp_abcd…");
}

TEST(ForgeCredentials, BasicBearerAndMalformed) {
  using K = Credentials::Kind;
  EXPECT_EQ(parse_authorization("").kind, K::none);
  auto bearer = parse_authorization("Bearer ghp_x");
  EXPECT_EQ(bearer.kind, K::token);
  EXPECT_EQ(bearer.token, "ghp_x");
  auto basic = parse_authorization("Basic " + base64_encode("anyone:ghp_secret"));
  EXPECT_EQ(basic.kind, K::token);
  EXPECT_EQ(basic.token, "ghp_secret");
  auto user_only = parse_authorization("basic " + base64_encode("ghp_secret:"));
  EXPECT_EQ(user_only.token, "ghp_secret");
  EXPECT_EQ(parse_authorization("Basic !!!").kind, K::malformed);
  EXPECT_EQ(parse_authorization("Bearer").kind, K::malformed);
  EXPECT_EQ(parse_authorization("Digest abc").kind, K::malformed);
  EXPECT_EQ(parse_authorization("Basic " + base64_encode(":")).kind, K::malformed);
}

TEST(ForgeCredentials, Base64RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("a").has_value());
}

TEST(ForgeAccess, ScopesAndReadOnly) {
  RepoAccess priv{"alice/demo", false}, pub{"alice/open", true};
  TokenRecord all, ro, scoped;
  ro.read_only = true;
  scoped.repo = "Alice/Demo";  // names compare case-insensitively
  EXPECT_TRUE(can_read(nullptr, pub));
  EXPECT_FALSE(can_read(nullptr, priv));
  EXPECT_FALSE(can_write(nullptr, pub));
  EXPECT_TRUE(can_write(&all, priv));
  EXPECT_TRUE(can_read(&ro, priv));
  EXPECT_FALSE(can_write(&ro, priv));
  EXPECT_TRUE(can_write(&scoped, priv));
  EXPECT_FALSE(can_write(&scoped, pub));
  EXPECT_TRUE(can_read(&scoped, pub));
}

TEST(ForgeAccess, DecisionsLikeGitHub) {
  RepoAccess priv{"alice/demo", false}, pub{"alice/open", true};
  TokenRecord all, ro, other;
  ro.read_only = true;
  other.repo = "alice/other";
  EXPECT_EQ(decide(false, nullptr, &pub, false).status, 200);     // anonymous fetch, public
  EXPECT_EQ(decide(false, nullptr, &priv, false).status, 401);    // anonymous fetch, private
  EXPECT_EQ(decide(false, nullptr, &pub, true).status, 401);      // anonymous push
  EXPECT_EQ(decide(true, nullptr, &pub, false).status, 401);      // revoked or unknown token
  EXPECT_EQ(decide(false, nullptr, nullptr, false).status, 401);  // no such repo, anonymous
  EXPECT_EQ(decide(true, &all, nullptr, false).status, 404);      // no such repo
  EXPECT_EQ(decide(true, &all, &priv, true).status, 200);
  EXPECT_EQ(decide(true, &ro, &priv, false).status, 200);
  auto ro_push = decide(true, &ro, &priv, true);
  EXPECT_EQ(ro_push.status, 403);
  EXPECT_NE(ro_push.message.find("Permission to alice/demo.git denied"), std::string::npos);
  EXPECT_EQ(decide(true, &other, &priv, true).status, 403);
  EXPECT_EQ(decide(true, &other, &priv, false).status, 404);
  EXPECT_EQ(decide(true, &other, &pub, false).status, 200);
}

}  // namespace
}  // namespace cove::forge
