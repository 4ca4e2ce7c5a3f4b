// Validation of resource parameters at the API edge: the field is named, nothing is echoed.
#include "runtime/api/session_types.hpp"

#include <gtest/gtest.h>

namespace cove::api {
namespace {

// The 400 message for `params`, or "" when they are accepted.
std::string refusal(const json& params) {
  std::optional<std::string> token;
  try {
    resource_from_params(params, "resources[0]", "sesrsc_1", 0, &token);
    return "";
  } catch (const domain::FieldError& e) {
    return e.what();
  }
}

json repo(const std::string& url) {
  return {{"type", "github_repository"}, {"url", url}};
}

json repo_at(const std::string& mount_path) {
  return {
      {"type", "github_repository"}, {"url", "https://github.com/o/r"}, {"mount_path", mount_path}};
}

TEST(ResourceParams, CredentialsInTheUrlAreRefusedWithoutEchoingThem) {
  for (const char* url :
       {"http://x:s3cr3t@127.0.0.1:1/acme/app.git", "http://s3cr3t@127.0.0.1/a.git",
        "https://x-access-token:s3cr3t@github.com/o/r", "https://s3cr3t:@github.com/o/r"}) {
    auto message = refusal(repo(url));
    EXPECT_EQ(message,
              "resources[0].url must not contain credentials; pass the token as "
              "authorization_token")
        << url;
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos);
  }
  EXPECT_EQ(refusal(repo("https://github.com/o/r@v1")), "");
}

TEST(ResourceParams, MountPathMustBeNormalAndBelowWorkspace) {
  struct Case {
    const char* mount_path;
    const char* refusal;  // "" when accepted
  };
  const Case cases[] = {
      {"/workspace/app", ""},
      {"/workspace/a/b-c.d", ""},
      {"/workspace/...", ""},
      {"relative", "resources[0].mount_path must be absolute"},
      {"", "resources[0].mount_path must be absolute"},
      {"/", "resources[0].mount_path must be below /workspace/"},
      {"/proc", "resources[0].mount_path must be below /workspace/"},
      {"/etc", "resources[0].mount_path must be below /workspace/"},
      {"/usr/bin", "resources[0].mount_path must be below /workspace/"},
      {"/workspace", "resources[0].mount_path must be below /workspace/"},
      {"/workspacex/a", "resources[0].mount_path must be below /workspace/"},
      {"/mnt/session/uploads/a", "resources[0].mount_path must be below /workspace/"},
      {"/workspace/", "resources[0].mount_path must not end with /"},
      {"/workspace/app/", "resources[0].mount_path must not end with /"},
      {"/workspace//app", "resources[0].mount_path must not contain //"},
      {"/workspace/./app", "resources[0].mount_path must not contain . or .."},
      {"/workspace/..", "resources[0].mount_path must not contain . or .."},
      {"/workspace/../etc", "resources[0].mount_path must not contain . or .."},
      {"/workspace/a/..", "resources[0].mount_path must not contain . or .."},
      {"/workspace/a\nb", "resources[0].mount_path must not contain control characters"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(refusal(repo_at(c.mount_path)), c.refusal) << c.mount_path;
}

TEST(ResourceParams, TheDefaultMountPathIsNamedAfterTheRepositoryAndChecked) {
  auto mounted_at = [](const std::string& url) {
    std::optional<std::string> token;
    return resource_from_params(repo(url), "resources[0]", "sesrsc_1", 0, &token)["mount_path"];
  };
  EXPECT_EQ(mounted_at("https://github.com/o/app.git"), "/workspace/app");
  EXPECT_EQ(mounted_at("https://github.com/o/app/"), "/workspace/app");
  EXPECT_EQ(mounted_at("https://github.com/o/.."), "/workspace/repo");
  EXPECT_EQ(mounted_at("https://github.com/o/."), "/workspace/repo");
  EXPECT_EQ(refusal(repo("https://github.com/o/a\x01"
                         "z")),
            "resources[0].mount_path must not contain control characters");
}

TEST(ResourceParams, FilesMayAlsoMountBelowMntSession) {
  auto file_at = [](const std::string& mount_path) {
    return json{{"type", "file"}, {"file_id", "file_A"}, {"mount_path", mount_path}};
  };
  EXPECT_EQ(refusal(file_at("/mnt/session/uploads/a.txt")), "");
  EXPECT_EQ(refusal(file_at("/workspace/a.txt")), "");
  EXPECT_EQ(refusal(file_at("/etc/passwd")),
            "resources[0].mount_path must be below /workspace/ or /mnt/session/");
  EXPECT_EQ(refusal(file_at("/mnt/session")),
            "resources[0].mount_path must be below /workspace/ or /mnt/session/");
}

}  // namespace
}  // namespace cove::api
