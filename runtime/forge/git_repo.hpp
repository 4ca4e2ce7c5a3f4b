// One bare repository of the forge, through libgit2: branches, commits, trees and blobs,
// new commits from file changes, merges, cherry-picks and diffs. This is what the MCP tools
// and web pages read and write; git clients go through `git http-backend` instead.
//
// A GitRepo is used by one thread at a time (open one per request); several may be open on
// the same repository at once. Branch updates are compare-and-swap (update_branch), so
// concurrent pushes and tool writes never lose each other's commits. Failures throw
// GitError with the libgit2 message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

struct git_repository;

namespace cove::forge {

struct GitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct GitPerson {
  std::string name;
  std::string email;
  std::string date;  // ISO 8601, UTC
};

struct GitCommitInfo {
  std::string sha;
  std::string tree;
  std::string message;
  GitPerson author;
  GitPerson committer;
  std::vector<std::string> parents;
};

// An entry of a directory listing.
struct GitEntry {
  std::string name;
  std::string path;
  std::string type;  // "file" | "dir" | "symlink" | "submodule"
  std::string sha;
  uint64_t size = 0;
};

struct GitFile {
  std::string path;
  std::string sha;  // blob id
  std::string content;
  bool symlink = false;
  bool executable = false;
};

using GitPathContent = std::variant<std::monostate, GitFile, std::vector<GitEntry>>;

// One changed file of a diff, shaped like GitHub's "files" entries.
struct FileChange {
  std::string filename;
  std::string previous_filename;  // renames only
  std::string status;  // "added" | "removed" | "modified" | "renamed" | "copied" | "changed"
  std::string sha;     // blob id of the new side ("" when removed)
  int additions = 0;
  int deletions = 0;
  bool binary = false;
  std::string patch;  // the hunks ("@@ …"), when asked for
};

// A file to write in a commit; no content means: delete it.
struct FileWrite {
  std::string path;
  std::optional<std::string> content;
};

struct Identity {
  std::string name;
  std::string email;
};

// libgit2 initialised once per process (idempotent).
void ensure_libgit2();

class GitRepo {
 public:
  // Creates an empty bare repository whose HEAD names `default_branch`.
  static void create_bare(const std::filesystem::path& git_dir, const std::string& default_branch);

  explicit GitRepo(const std::filesystem::path& git_dir);
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // The branch HEAD names (even before it has commits).
  std::string head_branch() const;
  void set_head_branch(const std::string& branch);
  // Branch name → tip commit, sorted by name.
  std::vector<std::pair<std::string, std::string>> branches() const;
  std::optional<std::string> branch_sha(const std::string& branch) const;
  // A commit from a full or abbreviated sha, a branch or tag name, or a full ref name.
  std::optional<std::string> resolve_commit(const std::string& rev) const;

  GitCommitInfo commit(const std::string& sha) const;
  // Commits reachable from `from` but not from `hide` (may be empty), newest first; only
  // those that change `path` when it is not empty, and that `keep` accepts when set.
  std::vector<GitCommitInfo> log(const std::string& from, const std::string& hide,
                                 const std::string& path, std::size_t skip, std::size_t limit,
                                 const std::function<bool(const GitCommitInfo&)>& keep = {}) const;

  // What `path` ("" or "/" for the root) is at a commit: nothing, a file, or a directory.
  GitPathContent read(const std::string& commit_sha, const std::string& path) const;

  // Writes a commit whose tree is the parent's (empty tree when parent is "") with the
  // writes applied; moves no ref. Throws std::invalid_argument for bad paths.
  std::string commit_changes(const std::string& parent, const std::vector<FileWrite>& writes,
                             const std::string& message, const Identity& author);
  // Writes a commit with the given tree and parents. `author` keeps its own date when set.
  std::string create_commit(const std::string& tree, const std::vector<std::string>& parents,
                            const std::string& message, const Identity& committer,
                            const GitCommitInfo* author_of = nullptr);
  // Points refs/heads/<branch> at new_sha if it still points at expected_old ("" = must not
  // exist yet). false when the branch moved or exists meanwhile.
  bool update_branch(const std::string& branch, const std::string& new_sha,
                     const std::string& expected_old, const std::string& log_message);

  std::string merge_base(const std::string& a, const std::string& b) const;  // "" when none
  // The tree of merging `theirs` into `ours`; nullopt on conflicts.
  std::optional<std::string> merge_trees(const std::string& ours, const std::string& theirs) const;
  // The tree of applying commit `pick` (one parent) on top of `onto`; nullopt on conflicts.
  std::optional<std::string> cherry_pick(const std::string& pick, const std::string& onto) const;

  // Files changed from commit `from` ("" = the empty tree) to commit `to`, renames detected.
  std::vector<FileChange> diff(const std::string& from, const std::string& to,
                               bool with_patches) const;
  // The same as one unified diff ("diff --git a/… b/…"), like GitHub's .diff.
  std::string diff_text(const std::string& from, const std::string& to) const;

  // Every regular file of the commit's tree that is text and at most max_bytes long.
  void for_each_text_file(
      const std::string& commit_sha, std::size_t max_bytes,
      const std::function<void(const std::string& path, const std::string& blob_sha,
                               std::string_view content)>& visit) const;

  // Fills the repository from a local directory: a git repository (every branch and tag is
  // fetched, HEAD follows the source's) or plain files (one commit on `branch`).
  void import_directory(const std::filesystem::path& source, const std::string& branch,
                        const Identity& author);

 private:
  git_repository* repo_ = nullptr;
};

// True when the blob looks like text (no NUL in its first 8000 bytes).
bool looks_like_text(std::string_view content);

}  // namespace cove::forge
