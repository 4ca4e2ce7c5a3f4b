// flock(2) on a lock file: the lock of a repository mirror or tree, and of a daemon's home.
#pragma once

#include <filesystem>
#include <string>

#include "base/unique_fd.hpp"

namespace cove {

// Works between processes and between threads of one process (each FileLock opens its own
// file description). The lock file is created 0600. The lock is released on destruction or
// when the process dies (the kernel drops it: never stale). Not thread-safe per object.
class FileLock {
 public:
  enum class Mode { shared, exclusive };
  // Blocks until the lock is held. Throws std::system_error on failure.
  FileLock(const std::filesystem::path& path, Mode mode);
  // Returns an unlocked FileLock (owns_lock() false) if another holder conflicts. Throws
  // std::system_error when the file cannot be opened.
  static FileLock try_lock(const std::filesystem::path& path, Mode mode);
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  bool owns_lock() const { return static_cast<bool>(fd_); }
  // Converts the lock in place (not atomic: flock drops and re-takes it).
  void change(Mode mode);
  // Replaces the lock file's content (the holder's pid, for whoever finds it locked).
  void write(const std::string& text);

 private:
  FileLock() = default;
  UniqueFd fd_;
};

}  // namespace cove
