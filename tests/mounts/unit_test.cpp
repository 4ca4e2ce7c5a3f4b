// Unit tests of mounts/ pieces that need no root, no mounts and no server.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "mounts/git_support.hpp"
#include "mounts/handles.hpp"
#include "mounts/repo_cache.hpp"
#include "mounts/repo_url.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::mounts {
namespace {

using cove::test::slurp;

TEST(RepoUrl, CleanUrlDropsCredentialsAndNormalisesHost) {
  EXPECT_EQ(clean_url("https://x-access-token:secret@GitHub.com/Owner/Repo.git/"),
            "https://github.com/Owner/Repo.git");
  EXPECT_EQ(clean_url("HTTP://user@127.0.0.1:8080/a/b"), "http://127.0.0.1:8080/a/b");
  EXPECT_EQ(clean_url("/srv/git/repo/"), "file:///srv/git/repo");
  EXPECT_EQ(clean_url("git@github.com:owner/repo.git"), "git@github.com:owner/repo.git");
}

TEST(RepoUrl, KeyIgnoresCredentialsCaseOfHostAndDotGit) {
  auto k = repo_key("https://github.com/owner/repo");
  EXPECT_EQ(k.size(), 16u);
  EXPECT_EQ(repo_key("https://tok@GITHUB.com/owner/repo.git"), k);
  EXPECT_EQ(repo_key("https://github.com/owner/repo/"), k);
  EXPECT_NE(repo_key("https://github.com/owner/other"), k);
}

TEST(RepoUrl, Host) {
  EXPECT_EQ(url_host("https://u:p@Example.com:8443/x"), "example.com:8443");
  EXPECT_EQ(url_host("file:///tmp/x"), "");
}

TEST(RepoError, MessageNamesKindUrlAndReason) {
  RepoError e(RepoErrorKind::forbidden, "https://github.com/o/r", "no access");
  EXPECT_STREQ(e.what(), "forbidden: https://github.com/o/r: no access");
  EXPECT_EQ(to_string(RepoErrorKind::not_found), "not_found");
}

// Regression: a port such as 40351 once made a timed-out fetch read as "forbidden" (403).
TEST(RepoError, NeverQuotesUserinfo) {
  RepoError e(RepoErrorKind::clone, "http://x:s3cr3t@127.0.0.1:1/acme/app.git",
              "cannot fetch 'http://s3cr3t@127.0.0.1:1/acme/app.git': refused");
  EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  EXPECT_EQ(e.url(), "http://127.0.0.1:1/acme/app.git");
  EXPECT_EQ(e.reason(), "cannot fetch 'http://127.0.0.1:1/acme/app.git': refused");
}

TEST(RepoUrl, WithoutUserinfoStripsEveryUrlInAMessage) {
  EXPECT_EQ(without_userinfo("a http://u:p@h/x and https://t@k/y."),
            "a http://h/x and https://k/y.");
  EXPECT_EQ(without_userinfo("'http://t@h' 'https://h/a@b'"), "'http://h' 'https://h/a@b'");
}

TEST(RemoteError, HttpStatusIsReadFromLibgit2sMessageNotFromTheUrl) {
  RemoteSession session;
  session.url = "http://127.0.0.1:40351/o/r.git";
  auto kind = [&](const std::string& message) {
    return remote_error(session, GitFailure(-1, 0, message), RepoErrorKind::clone).kind();
  };
  EXPECT_EQ(kind("fetch: reading from 127.0.0.1:40351 timed out after 3 s"), RepoErrorKind::clone);
  EXPECT_EQ(kind("fetch: reading from 127.0.0.1:40401 failed"), RepoErrorKind::clone);
  EXPECT_EQ(kind("clone: unexpected http status code: 403"), RepoErrorKind::forbidden);
  EXPECT_EQ(kind("clone: unexpected http status code: 404"), RepoErrorKind::not_found);
  EXPECT_EQ(kind("clone: unexpected http status code: 401"), RepoErrorKind::authentication);
}

TEST(RemoteError, TheServersContentTypeIsNotQuoted) {
  RemoteSession session;
  session.url = "http://127.0.0.1:40351/canary.git";
  auto e = remote_error(session, GitFailure(-1, 0, "fetch: invalid content-type: 'text/x-canary'"),
                        RepoErrorKind::clone);
  EXPECT_EQ(e.kind(), RepoErrorKind::clone);
  EXPECT_EQ(std::string(e.what()).find("canary'"), std::string::npos) << e.what();
  EXPECT_EQ(e.reason(), "the server did not answer as a git server");
}

// A checkout's .git/config rewritten by the runtime (root) is the session's file: a symlink
// there or at .git must be refused, neither written through nor chowned through.
class RemoteConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    ensure_libgit2();
    for (auto name : {"co", "other"}) {
      git_repository* repo = nullptr;
      ASSERT_EQ(git_repository_init(&repo, (root_ / name).c_str(), 0), 0);
      git_repository_free(repo);
    }
    std::ofstream(root_ / "victim") << "private\n";
    ::chmod((root_ / "victim").c_str(), 0600);
    ASSERT_EQ(::stat((root_ / "victim").c_str(), &victim_), 0);
  }
  void expect_victim_untouched() {
    struct stat st {};
    ASSERT_EQ(::lstat((root_ / "victim").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, victim_.st_uid);
    EXPECT_EQ(st.st_gid, victim_.st_gid);
    EXPECT_EQ(st.st_mode, victim_.st_mode);
    EXPECT_EQ(slurp(root_ / "victim"), "private\n");
  }

  cove::test::TempDir tmp_{"cove-remote-config"};
  std::filesystem::path root_ = tmp_.path();
  struct stat victim_ {};
  Owner owner_{::geteuid() == 0 ? 1'001'000u : ::geteuid(),
               ::geteuid() == 0 ? 1'001'000u : ::getegid()};
};

TEST_F(RemoteConfig, WritesTheUrlAndGivesTheFileToTheOwner) {
  set_remote_url(root_ / "co", "origin", "http://127.0.0.1:7418/co.git", owner_);
  EXPECT_NE(slurp(root_ / "co/.git/config").find("url = http://127.0.0.1:7418/co.git"),
            std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "co/.git/config").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, owner_.uid);
  EXPECT_EQ(st.st_gid, owner_.gid);
}

TEST_F(RemoteConfig, ASymlinkedConfigIsRefused) {
  std::filesystem::remove(root_ / "co/.git/config");
  std::filesystem::create_symlink(root_ / "victim", root_ / "co/.git/config");
  EXPECT_THROW(set_remote_url(root_ / "co", "origin", "http://127.0.0.1:7418/co.git", owner_),
               RepoError);
  expect_victim_untouched();
  EXPECT_FALSE(std::filesystem::exists(root_ / "victim.lock"));
}

TEST_F(RemoteConfig, ASymlinkedGitDirectoryIsRefused) {
  std::filesystem::remove_all(root_ / "co/.git");
  std::filesystem::create_symlink(root_ / "other/.git", root_ / "co/.git");
  auto before = slurp(root_ / "other/.git/config");
  try {
    set_remote_url(root_ / "co", "origin", "http://127.0.0.1:7418/co.git", owner_);
    ADD_FAILURE() << "expected RepoError";
  } catch (const RepoError& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(root_ / "other/.git/config"), before);
}

}  // namespace
}  // namespace cove::mounts
