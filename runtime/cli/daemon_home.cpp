#include "runtime/cli/daemon_home.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace cove::cli {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(err));
}

// Refuses a home that group or others may use: it holds keys, tokens and the store.
void check_private(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) fail("cannot open home", dir, errno);
  if (!S_ISDIR(st.st_mode))
    throw std::runtime_error("the home " + dir.string() + " is not a directory");
  if ((st.st_mode & 077) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  throw std::runtime_error("the home " + dir.string() + " is mode " + mode +
                           ": group or others may use it (it holds keys and tokens); run `chmod "
                           "700 " +
                           dir.string() + "`");
}

// The pid written by the holder ("" if it has not written it yet).
std::string holder_pid(const fs::path& lock_path) {
  std::ifstream in(lock_path);
  std::string pid;
  std::getline(in, pid);
  return pid;
}

FileLock lock_home(const fs::path& dir) {
  create_private_dir(dir);
  check_private(dir);
  auto lock_path = dir / "lock";
  auto lock = FileLock::try_lock(lock_path, FileLock::Mode::exclusive);
  if (!lock.owns_lock()) {
    std::string pid = holder_pid(lock_path);
    throw std::runtime_error("the home " + dir.string() + " is in use by cove (" +
                             (pid.empty() ? "another process" : "pid " + pid) +
                             "); stop it or use another --home");
  }
  lock.write(std::to_string(::getpid()) + "\n");
  for (const char* sub : {"sessions", "repos"})
    create_private_dir(dir / sub);
  return lock;
}

}  // namespace

void create_private_dir(const fs::path& dir) {
  if (fs::exists(dir)) return;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path());
  // mkdir's mode is masked by the umask, which can only take bits away from 0700.
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) fail("cannot create", dir, errno);
    return;
  }
  if (::chmod(dir.c_str(), 0700) != 0) fail("cannot chmod", dir, errno);
}

DaemonHome::DaemonHome(fs::path dir) : dir_(std::move(dir)), lock_(lock_home(dir_)) {}

}  // namespace cove::cli
