// Repository names, request paths and git request classification (runtime/forge/paths.hpp),
// and the CGI output parser (runtime/forge/git_http.hpp).
#include "runtime/forge/paths.hpp"

#include <gtest/gtest.h>

#include "runtime/forge/git_http.hpp"

namespace cove::forge {
namespace {

TEST(ForgePaths, RepoNames) {
  auto n = parse_repo_name("alice/demo.git");
  EXPECT_EQ(n.owner, "alice");
  EXPECT_EQ(n.name, "demo");
  EXPECT_THROW(parse_repo_name("alice"), std::invalid_argument);
  EXPECT_THROW(parse_repo_name("alice/de mo"), std::invalid_argument);
  EXPECT_THROW(parse_repo_name("../demo"), std::invalid_argument);
  EXPECT_THROW(parse_repo_name("alice/.."), std::invalid_argument);
  EXPECT_THROW(parse_repo_name("alice/" + std::string(101, 'x')), std::invalid_argument);
  EXPECT_THROW(parse_repo_name("a/b/c"), std::invalid_argument);
}

TEST(ForgePaths, RepoPaths) {
  auto p = parse_repo_path("/alice/demo.git/info/refs");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->owner, "alice");
  EXPECT_EQ(p->name, "demo");
  EXPECT_TRUE(p->dot_git);
  EXPECT_EQ(p->rest, "/info/refs");
  auto web = parse_repo_path("/alice/demo/pull/3");
  ASSERT_TRUE(web);
  EXPECT_FALSE(web->dot_git);
  EXPECT_EQ(web->rest, "/pull/3");
  EXPECT_EQ(parse_repo_path("/alice/demo")->rest, "");
  EXPECT_FALSE(parse_repo_path("/alice"));
  EXPECT_FALSE(parse_repo_path("/../etc/passwd"));
  EXPECT_FALSE(parse_repo_path("alice/demo"));
}

TEST(ForgePaths, TargetsAndQueries) {
  auto t = split_target("/alice/my%20repo/blob/main/a%2Bb?x=1&service=git-upload-pack");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/alice/my repo/blob/main/a+b");
  EXPECT_EQ(query_param(t->query, "service"), "git-upload-pack");
  EXPECT_EQ(query_param(t->query, "x"), "1");
  EXPECT_EQ(query_param(t->query, "missing"), "");
  EXPECT_FALSE(split_target("/bad%zz"));
  EXPECT_FALSE(split_target("/nul%00byte"));
  EXPECT_FALSE(split_target("relative"));
}

TEST(ForgePaths, GitRequests) {
  auto ref_push = classify_git_request("GET", "/info/refs", "service=git-receive-pack");
  EXPECT_TRUE(ref_push.is_git);
  EXPECT_TRUE(ref_push.push());
  auto ref_fetch = classify_git_request("GET", "/info/refs", "service=git-upload-pack");
  EXPECT_TRUE(ref_fetch.is_git);
  EXPECT_FALSE(ref_fetch.push());
  EXPECT_TRUE(classify_git_request("POST", "/git-receive-pack", "").push());
  EXPECT_FALSE(classify_git_request("POST", "/git-upload-pack", "").push());
  EXPECT_TRUE(classify_git_request("GET", "/objects/info/packs", "").is_git);
  EXPECT_TRUE(classify_git_request("GET", "/HEAD", "").is_git);
  EXPECT_FALSE(classify_git_request("GET", "/git-receive-pack", "").is_git);
  EXPECT_FALSE(classify_git_request("GET", "/pull/1", "").is_git);
  EXPECT_FALSE(classify_git_request("GET", "", "").is_git);
}

TEST(ForgeCgi, ParsesStatusHeadersAndBody) {
  auto r = parse_cgi_output("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, "content-type");
  EXPECT_EQ(r->headers[0].second, "text/plain");
  EXPECT_EQ(r->body, "nope\n");
  auto ok = parse_cgi_output("Expires: never\nCache-Control: no-cache\n\n\x01\x02\n\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "\x01\x02\n\n");
  EXPECT_FALSE(parse_cgi_output("no header block"));
  EXPECT_FALSE(parse_cgi_output("Status: 99x\n\n"));
  EXPECT_FALSE(parse_cgi_output("garbage line\n\n"));
}

}  // namespace
}  // namespace cove::forge
