// RAII owners for the OS handles used by mounts/ (mount points; lock files use base's
// FileLock). Internal to the layer: nothing here appears in the public headers. The libgit2
// owners are public, in git_handles.hpp.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "base/file_lock.hpp"
#include "base/unique_fd.hpp"
#include "mounts/git_handles.hpp"

namespace cove::mounts {

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
