// The forge database (runtime/forge/forge_db.hpp) and home (runtime/forge/forge_home.hpp):
// shared issue/pull-request numbering, filters, tokens stored as hashes, revocation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "runtime/forge/forge_home.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::forge {
namespace {

namespace fs = std::filesystem;

class ForgeHomeTest : public ::testing::Test {
 protected:
  void SetUp() override { home_ = std::make_unique<ForgeHome>(dir_); }
  cove::test::TempDir tmp_{"cove-forge-home"};
  fs::path dir_ = tmp_.path();
  std::unique_ptr<ForgeHome> home_;
};

TEST_F(ForgeHomeTest, ReposAreUniqueCaseInsensitively) {
  auto row = home_->create_repo("Alice/Demo", "", false);
  EXPECT_EQ(row.default_branch, "main");
  EXPECT_TRUE(fs::exists(home_->git_dir(row) / "HEAD"));
  EXPECT_TRUE(home_->find_repo("alice", "demo"));
  EXPECT_THROW(home_->create_repo("alice/demo", "", true), std::invalid_argument);
  EXPECT_THROW(home_->create_repo("alice/x", dir_ / "missing", true), std::invalid_argument);
  EXPECT_FALSE(home_->find_repo("alice", "x")) << "a failed create leaves no row";
  for (const auto& e : fs::directory_iterator(home_->repos_dir()))
    EXPECT_EQ(e.path().filename().string().rfind(".new-", 0), std::string::npos)
        << "a failed create leaves no staging directory";
}

TEST_F(ForgeHomeTest, TokensAreHashedScopedAndRevocable) {
  home_->create_repo("alice/demo", "", false);
  auto [secret, record] = home_->create_token(std::string("ALICE/demo"), true, "robot");
  EXPECT_EQ(record.repo.value(), "alice/demo");
  EXPECT_TRUE(record.read_only);
  EXPECT_EQ(home_->authenticate(secret)->login, "robot");
  EXPECT_FALSE(home_->authenticate("ghp_wrong"));
  EXPECT_THROW(home_->create_token(std::string("alice/none"), false, "x"), std::invalid_argument);
  {
    std::ifstream db(dir_ / "forge.db", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(db)), {});
    std::ifstream wal(dir_ / "forge.db-wal", std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(wal), {});
    EXPECT_EQ(bytes.find(secret), std::string::npos);
    EXPECT_NE(bytes.find(hash_token(secret)), std::string::npos);
  }
  home_->revoke_token(secret);
  EXPECT_FALSE(home_->authenticate(secret));
  auto [second, rec2] = home_->create_token(std::nullopt, false, "cove");
  home_->revoke_token(std::to_string(rec2.id));
  EXPECT_FALSE(home_->authenticate(second));
  EXPECT_THROW(home_->revoke_token("999"), std::invalid_argument);
  EXPECT_THROW(home_->revoke_token("ghp_unknown"), std::invalid_argument);
}

TEST_F(ForgeHomeTest, IssuesAndPullsShareNumbers) {
  auto repo = home_->create_repo("alice/demo", "", false);
  auto& db = home_->db();
  Item issue;
  issue.repo_id = repo.id;
  issue.title = "bug";
  issue.labels = {"bug", "p1"};
  Item pr = issue;
  pr.is_pull = true;
  pr.title = "fix";
  pr.head_ref = "fix";
  pr.base_ref = "main";
  EXPECT_EQ(db.insert_item(issue).number, 1);
  EXPECT_EQ(db.insert_item(pr).number, 2);
  EXPECT_EQ(db.insert_item(issue).number, 3);
  ItemFilter pulls;
  pulls.is_pull = true;
  int total = 0;
  auto found = db.items(repo.id, pulls, 1, 10, &total);
  ASSERT_EQ(total, 1);
  EXPECT_EQ(found[0].title, "fix");
  ItemFilter labelled;
  labelled.labels = {"p1", "bug"};
  EXPECT_EQ(db.items(repo.id, labelled, 1, 10).size(), 3u);
  labelled.labels = {"p2"};
  EXPECT_TRUE(db.items(repo.id, labelled, 1, 10).empty());
  ItemFilter all;
  all.newest_first = false;
  auto page2 = db.items(repo.id, all, 2, 2, &total);
  EXPECT_EQ(total, 3);
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_EQ(page2[0].number, 3);

  auto c = db.insert_comment(repo.id, 2, "robot", "lgtm");
  EXPECT_EQ(db.comment_count(repo.id, 2), 1);
  EXPECT_EQ(db.comments(repo.id, 2, 1, 10)[0].id, c.id);
  auto stored = db.item(repo.id, 2).value();
  stored.state = "closed";
  stored.merged = true;
  db.update_item(stored);
  EXPECT_TRUE(db.item(repo.id, 2)->merged);
  EXPECT_EQ(db.item(repo.id, 2)->labels, (std::vector<std::string>{"bug", "p1"}));
}

}  // namespace
}  // namespace cove::forge
