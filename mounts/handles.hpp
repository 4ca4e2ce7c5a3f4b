// RAII owners for the libgit2 objects and OS handles used by mounts/. Internal to the layer:
// nothing here appears in the public headers.
#pragma once

#include <git2.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "base/unique_fd.hpp"

namespace cove::mounts {

// One unique_ptr alias per libgit2 type, each freed with its own git_*_free.
template <auto Free>
struct GitDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using GitRepository = std::unique_ptr<git_repository, GitDeleter<git_repository_free>>;
using GitRemote = std::unique_ptr<git_remote, GitDeleter<git_remote_free>>;
using GitReference = std::unique_ptr<git_reference, GitDeleter<git_reference_free>>;
using GitObject = std::unique_ptr<git_object, GitDeleter<git_object_free>>;
using GitCommit = std::unique_ptr<git_commit, GitDeleter<git_commit_free>>;
using GitTree = std::unique_ptr<git_tree, GitDeleter<git_tree_free>>;
using GitIndex = std::unique_ptr<git_index, GitDeleter<git_index_free>>;
using GitConfig = std::unique_ptr<git_config, GitDeleter<git_config_free>>;
using GitDiff = std::unique_ptr<git_diff, GitDeleter<git_diff_free>>;
using GitOdb = std::unique_ptr<git_odb, GitDeleter<git_odb_free>>;
using GitRefIterator =
    std::unique_ptr<git_reference_iterator, GitDeleter<git_reference_iterator_free>>;

// A git_buf filled by libgit2 and disposed of with git_buf_dispose.
struct GitBuf {
  git_buf buf = GIT_BUF_INIT;
  GitBuf() = default;
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;
  ~GitBuf() { git_buf_dispose(&buf); }
  std::string str() const { return buf.ptr ? std::string(buf.ptr, buf.size) : std::string(); }
};

// flock(2) on a lock file: works between processes and between threads of one process
// (each FileLock opens its own file description). Released on destruction or process death.
class FileLock {
 public:
  enum class Mode { shared, exclusive };
  // Blocks until the lock is held. Throws std::system_error on failure.
  FileLock(const std::filesystem::path& path, Mode mode);
  // Returns an unlocked FileLock (owns_lock() false) if another holder conflicts.
  static FileLock try_lock(const std::filesystem::path& path, Mode mode);
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  bool owns_lock() const { return static_cast<bool>(fd_); }
  // Converts the lock in place (not atomic: flock drops and re-takes it).
  void change(Mode mode);

 private:
  FileLock() = default;
  UniqueFd fd_;
};

// A mount point that is unmounted (lazily if busy) on destruction unless released.
class MountGuard {
 public:
  explicit MountGuard(std::filesystem::path target) : target_(std::move(target)) {}
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();
  void release() { target_.clear(); }

 private:
  std::filesystem::path target_;
};

}  // namespace cove::mounts
