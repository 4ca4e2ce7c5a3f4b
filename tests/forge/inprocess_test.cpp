// The in-process API of runtime/forge/forge.hpp (what `cove demo` uses): the server running on
// another thread while repositories and tokens are created and revoked, the git CLI against
// it, and pull requests written by another ForgeHome on the same directory (as the admin CLI
// does from another process) read back through the Forge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "runtime/forge/forge.hpp"
#include "runtime/forge/forge_home.hpp"
#include "runtime/forge/git_repo.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::forge {
namespace {

namespace fs = std::filesystem;

// The git CLI with no user configuration and no prompts; returns its exit code.
int sh(const std::string& command) {
  std::string output;
  return cove::test::sh_status(
      "GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent " + command, &output);
}

TEST(ForgeInProcess, ServesWhileAdministered) {
  cove::test::TempDir tmp("cove-forge-inproc");
  const fs::path& dir = tmp.path();
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src" / "hello.txt") << "hello\n";

  ForgeOptions opt;
  opt.home = dir / "home";
  opt.port = 0;
  Forge forge(opt);
  forge.listen();
  ASSERT_NE(forge.port(), 0);
  EXPECT_EQ(forge.base_url(), "http://127.0.0.1:" + std::to_string(forge.port()));
  std::thread server([&] { forge.run(false); });

  auto repo = forge.create_repo("demo/app", dir / "src", false);
  EXPECT_EQ(repo.full_name, "demo/app");
  EXPECT_EQ(repo.default_branch, "main");
  EXPECT_EQ(repo.clone_url, forge.base_url() + "/demo/app.git");
  auto token = forge.create_token(std::string("demo/app"), false);
  auto url =
      "http://x:" + token.token + "@127.0.0.1:" + std::to_string(forge.port()) + "/demo/app.git";
  EXPECT_EQ(sh("git clone -q " + url + " " + (dir / "clone").string()), 0);
  EXPECT_TRUE(fs::exists(dir / "clone" / "hello.txt"));
  EXPECT_NE(sh("git ls-remote " + repo.clone_url), 0) << "private: anonymous must fail";
  forge.revoke_token(std::to_string(token.id));
  EXPECT_NE(sh("git ls-remote " + url), 0) << "revoked";
  EXPECT_THROW(forge.revoke_token("12345"), std::invalid_argument);
  EXPECT_THROW(forge.create_repo("demo/app", "", false), std::invalid_argument);

  // A pull request written through another handle on the same home.
  EXPECT_FALSE(forge.pull_request("demo/app", 1));
  {
    ForgeHome admin(opt.home);
    auto row = admin.find_repo("demo", "app").value();
    GitRepo git(admin.git_dir(row));
    auto main = git.branch_sha("main").value();
    auto topic = git.commit_changes(main, {{"hello.txt", "hello, world\n"}}, "Greet the world",
                                    {"robot", "robot@example.com"});
    ASSERT_TRUE(git.update_branch("topic", topic, "", "test"));
    Item pr;
    pr.repo_id = row.id;
    pr.is_pull = true;
    pr.title = "Greet";
    pr.user = "robot";
    pr.head_ref = "topic";
    pr.base_ref = "main";
    EXPECT_EQ(admin.db().insert_item(pr).number, 1);
  }
  auto pr = forge.pull_request("demo/app", 1);
  ASSERT_TRUE(pr);
  EXPECT_EQ((*pr)["number"], 1);
  EXPECT_EQ((*pr)["state"], "open");
  EXPECT_EQ((*pr)["html_url"], forge.base_url() + "/demo/app/pull/1");
  EXPECT_EQ((*pr)["head"]["ref"], "topic");
  EXPECT_EQ((*pr)["mergeable"], true);
  EXPECT_EQ((*pr)["changed_files"], 1);
  auto diff = forge.pull_request_diff("demo/app", 1);
  EXPECT_NE(diff.find("-hello\n+hello, world\n"), std::string::npos) << diff;
  EXPECT_THROW(forge.pull_request_diff("demo/app", 2), std::invalid_argument);

  forge.stop();
  server.join();
}

}  // namespace
}  // namespace cove::forge
