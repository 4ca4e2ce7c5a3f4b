// The forge's libgit2 layer (runtime/forge/git_repo.hpp) on temporary repositories: commits
// from file changes, reads, compare-and-swap branch updates, merges, cherry-picks, diffs and
// directory imports.
#include "runtime/forge/git_repo.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace cove::forge {
namespace {

namespace fs = std::filesystem;

class ForgeGitRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    GitRepo::create_bare(dir_ / "r.git", "main");
    repo_ = std::make_unique<GitRepo>(dir_ / "r.git");
  }
  std::string commit(const std::string& parent, std::vector<FileWrite> writes,
                     const std::string& msg = "change") {
    return repo_->commit_changes(parent, writes, msg, me_);
  }

  cove::test::TempDir tmp_{"cove-forge-git"};
  fs::path dir_ = tmp_.path();
  std::unique_ptr<GitRepo> repo_;
  Identity me_{"Tester", "tester@example.com"};
};

TEST_F(ForgeGitRepo, CommitsReadsAndBranches) {
  EXPECT_EQ(repo_->head_branch(), "main");
  EXPECT_TRUE(repo_->branches().empty());
  auto c1 = commit("", {{"README.md", "hello\n"}, {"src/a.c", "int a;\n"}}, "first");
  EXPECT_TRUE(repo_->update_branch("main", c1, "", "test"));
  EXPECT_FALSE(repo_->update_branch("main", c1, "", "test")) << "must not exist yet";
  ASSERT_EQ(repo_->branches().size(), 1u);
  EXPECT_EQ(repo_->resolve_commit("main").value(), c1);
  EXPECT_EQ(repo_->resolve_commit(c1.substr(0, 8)).value(), c1);
  EXPECT_FALSE(repo_->resolve_commit("nope"));
  EXPECT_FALSE(repo_->resolve_commit("main..main"));

  auto file = std::get<GitFile>(repo_->read(c1, "/src//a.c"));
  EXPECT_EQ(file.path, "src/a.c");
  EXPECT_EQ(file.content, "int a;\n");
  auto root = std::get<std::vector<GitEntry>>(repo_->read(c1, "/"));
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].name, "README.md");
  EXPECT_EQ(root[0].size, 6u);
  EXPECT_EQ(root[1].type, "dir");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(repo_->read(c1, "missing")));
  EXPECT_THROW(repo_->read(c1, "../x"), std::invalid_argument);
  EXPECT_THROW(commit(c1, {{".git/config", "x"}}), std::invalid_argument);
  EXPECT_THROW(commit(c1, {{"src", "x"}}), std::invalid_argument);  // a directory

  auto c2 = commit(c1, {{"src/a.c", std::nullopt}, {"b.txt", "b\n"}}, "second");
  EXPECT_FALSE(repo_->update_branch("main", c2, c2, "stale expectation"));
  EXPECT_TRUE(repo_->update_branch("main", c2, c1, "test"));
  auto info = repo_->commit(c2);
  EXPECT_EQ(info.message, "second");
  EXPECT_EQ(info.author.name, "Tester");
  ASSERT_EQ(info.parents.size(), 1u);
  EXPECT_EQ(info.parents[0], c1);

  auto log = repo_->log(c2, "", "", 0, 10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].sha, c2);
  EXPECT_EQ(repo_->log(c2, "", "README.md", 0, 10).size(), 1u);
  EXPECT_EQ(repo_->log(c2, c1, "", 0, 10).size(), 1u);
  EXPECT_EQ(repo_->log(c2, "", "", 1, 10).front().sha, c1);
}

TEST_F(ForgeGitRepo, DiffsRenderLikeGit) {
  auto c1 = commit("", {{"a.txt", "one\ntwo\n"}, {"old.txt", "same content here\n"}});
  auto c2 = commit(
      c1, {{"a.txt", "one\n2\n"}, {"old.txt", std::nullopt}, {"new.txt", "same content here\n"}});
  auto changes = repo_->diff(c1, c2, true);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].filename, "a.txt");
  EXPECT_EQ(changes[0].status, "modified");
  EXPECT_EQ(changes[0].additions, 1);
  EXPECT_EQ(changes[0].deletions, 1);
  EXPECT_EQ(changes[0].patch, "@@ -1,2 +1,2 @@\n one\n-two\n+2");
  EXPECT_EQ(changes[1].status, "renamed");
  EXPECT_EQ(changes[1].previous_filename, "old.txt");
  auto text = repo_->diff_text(c1, c2);
  EXPECT_EQ(text.rfind("diff --git a/a.txt b/a.txt\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n-two\n+2\n"), std::string::npos);
  EXPECT_NE(text.find("rename from old.txt\nrename to new.txt"), std::string::npos);
  auto from_root = repo_->diff("", c1, false);
  ASSERT_EQ(from_root.size(), 2u);
  EXPECT_EQ(from_root[0].status, "added");
}

TEST_F(ForgeGitRepo, MergesAndCherryPicks) {
  auto base = commit("", {{"a.txt", "a\n"}, {"b.txt", "b\n"}});
  auto ours = commit(base, {{"a.txt", "A\n"}});
  auto theirs = commit(base, {{"b.txt", "B\n"}});
  EXPECT_EQ(repo_->merge_base(ours, theirs), base);
  auto tree = repo_->merge_trees(ours, theirs);
  ASSERT_TRUE(tree);
  auto merged = repo_->create_commit(*tree, {ours, theirs}, "merge", me_);
  EXPECT_EQ(std::get<GitFile>(repo_->read(merged, "a.txt")).content, "A\n");
  EXPECT_EQ(std::get<GitFile>(repo_->read(merged, "b.txt")).content, "B\n");

  auto clash = commit(base, {{"a.txt", "other\n"}});
  EXPECT_FALSE(repo_->merge_trees(ours, clash));
  EXPECT_FALSE(repo_->cherry_pick(clash, ours));
  auto picked = repo_->cherry_pick(theirs, ours);
  ASSERT_TRUE(picked);
  auto info = repo_->commit(theirs);
  auto replayed = repo_->create_commit(*picked, {ours}, info.message, me_, &info);
  EXPECT_EQ(repo_->commit(replayed).author.date, info.author.date);
}

TEST_F(ForgeGitRepo, ImportsPlainDirectories) {
  auto src = dir_ / "src";
  fs::create_directories(src / "bin");
  fs::create_directories(src / "empty");
  std::ofstream(src / "README.md") << "hi\n";
  std::ofstream(src / "bin" / "run.sh") << "#!/bin/sh\n";
  ::chmod((src / "bin" / "run.sh").c_str(), 0755);
  fs::create_symlink("README.md", src / "link");
  GitRepo::create_bare(dir_ / "imported.git", "main");
  GitRepo imported(dir_ / "imported.git");
  imported.import_directory(src, "main", me_);
  auto head = imported.branch_sha("main").value();
  EXPECT_TRUE(std::get<GitFile>(imported.read(head, "bin/run.sh")).executable);
  auto link = std::get<GitFile>(imported.read(head, "link"));
  EXPECT_TRUE(link.symlink);
  EXPECT_EQ(link.content, "README.md");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(imported.read(head, "empty")));

  std::vector<std::string> seen;
  imported.for_each_text_file(
      head, 1 << 20,
      [&](const std::string& path, const std::string&, std::string_view) { seen.push_back(path); });
  EXPECT_EQ(seen, (std::vector<std::string>{"README.md", "bin/run.sh"}));
  EXPECT_THROW(imported.import_directory(dir_ / "missing", "main", me_), std::invalid_argument);
}

}  // namespace
}  // namespace cove::forge
