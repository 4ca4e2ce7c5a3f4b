// Helpers for the mounts tests: shell commands, temporary directories, source repositories
// with real history, and a smart-HTTP git server on 127.0.0.1 that requires a token.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cove::mounts::testing {

namespace fs = std::filesystem;

// Runs `sh -c cmd`; returns stdout. Throws with the command and its stderr on failure.
std::string sh(const std::string& cmd);
// Same, but returns the exit status and leaves stdout+stderr in *output.
int sh_status(const std::string& cmd, std::string* output = nullptr);
std::string quote(const std::string& s);

// Identity and safe.directory for every git command the tests run (through the
// environment, never argv).
void setup_git_environment();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A repository with branches, tags (light and annotated), a merge, a binary file, a
// symlink, an executable file and a submodule entry, default branch "main", branch
// "feature".
void make_source_repo(const fs::path& dir);
// Adds a commit on branch that changes `files` files; returns the new sha.
std::string add_commit(const fs::path& dir, const std::string& branch, int files = 1);
std::string rev_parse(const fs::path& repo, const std::string& rev);

// git http-backend behind Basic auth (user x-access-token). Repositories live under
// root/public (anonymous) and root/private (token required).
class GitHttpServer {
 public:
  GitHttpServer(const fs::path& root, const std::string& token, const std::string& forbidden_token);
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;
  std::string url(const std::string& path) const;  // path like "/private/repo.git"
  const fs::path& log() const { return log_; }
  int count_requests(const std::string& needle) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  fs::path log_;
};

// Every file below dir whose bytes contain needle (directories and symlinks not followed).
std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle);
// The pids whose /proc/<pid>/cmdline contains needle.
std::vector<int> processes_with_argument(const std::string& needle);

}  // namespace cove::mounts::testing
