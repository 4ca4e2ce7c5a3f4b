// The home of a daemon (`cove serve`, the embedded daemon of `cove run` and `cove demo`): its
// state directory, private to its owner and opened by one daemon at a time.
#pragma once

#include <filesystem>

#include "base/file_lock.hpp"

namespace cove::cli {

// Creates `dir` 0700 (its parents as needed) when it does not exist, whatever the umask.
void create_private_dir(const std::filesystem::path& dir);

// Opening a home: creates it and its top directories (sessions/, repos/) 0700, refuses a home
// that group or others may read or write, and takes an exclusive flock on <home>/lock (0600,
// holding this process's pid) for the life of the object, so that a second daemon cannot open
// the store or "recover" the first one's running sessions. The kernel drops the lock when the
// process dies. Every constructor failure throws std::runtime_error with one line to print:
// the home's mode and the fix, or the pid of the process that holds the home.
class DaemonHome {
 public:
  explicit DaemonHome(std::filesystem::path dir);
  DaemonHome(DaemonHome&&) = default;
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
  FileLock lock_;
};

}  // namespace cove::cli
