// RAII owners for the OS handles used by mounts/ (lock files, mount points). Internal to the
// layer: nothing here appears in the public headers. The libgit2 owners are public, in
// git_handles.hpp.
#pragma once

#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "base/unique_fd.hpp"
#include "mounts/git_handles.hpp"

namespace cove::mounts {

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
