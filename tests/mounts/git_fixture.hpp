// Helpers for the mounts tests: source repositories with real history, and the tests' git
// smart-HTTP server (tests/support/git_http_server.mjs) requiring a token.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/node_peer.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::mounts::testing {

namespace fs = std::filesystem;
using cove::test::quote;
using cove::test::sh;
using cove::test::sh_status;
using cove::test::TempDir;

// Identity and safe.directory for every git command the tests run (through the
// environment, never argv).
void setup_git_environment();

// A repository with branches, tags (light and annotated), a merge, a binary file, a
// symlink, an executable file and a submodule entry, default branch "main", branch
// "feature".
void make_source_repo(const fs::path& dir);
// Adds a commit on branch that changes `files` files; returns the new sha.
std::string add_commit(const fs::path& dir, const std::string& branch, int files = 1);
std::string rev_parse(const fs::path& repo, const std::string& rev);

// git http-backend behind Basic auth (user x-access-token). Repositories live under
// root/public (anonymous) and root/private (token required); `forbidden_token` authenticates
// but may read nothing. Paths under /die/ and /hang/, and a file root/die-now, inject
// failures (see the server).
class GitHttpServer {
 public:
  GitHttpServer(const fs::path& root, const std::string& token, const std::string& forbidden_token);
  std::string url(const std::string& path) const;  // path like "/private/repo.git"
  const fs::path& log() const { return log_; }
  // The requests whose log line ("METHOD PATH ...") contains needle.
  int count_requests(const std::string& needle) const;

 private:
  fs::path log_;
  std::unique_ptr<cove::test::NodePeer> peer_;
};

// Every file below dir whose bytes contain needle (directories and symlinks not followed).
std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle);
// The pids whose /proc/<pid>/cmdline contains needle.
std::vector<int> processes_with_argument(const std::string& needle);

}  // namespace cove::mounts::testing
