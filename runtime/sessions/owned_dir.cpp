#include "runtime/sessions/owned_dir.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cove::sessions {
namespace {

UniqueFd open_dir_beneath(int dir, const std::string& name) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how)));
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  switch (err) {
    case ELOOP:
      throw std::runtime_error(path + " is a symbolic link, which cove does not follow");
    case ENOTDIR:
      throw std::runtime_error(path + " is not a directory");
    case EXDEV:
      throw std::runtime_error(path + " leaves the directory or crosses a mount");
    default:
      throw std::runtime_error(path + ": " + what + ": " + std::strerror(err));
  }
}

// Why `name` below `dir` could not be opened as a directory: O_NOFOLLOW | O_DIRECTORY
// reports a symlink as ENOTDIR, so look at the entry itself.
int open_error(int dir, const std::string& name, int err) {
  struct stat st {};
  if ((err == ENOTDIR || err == ELOOP) &&
      ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return S_ISLNK(st.st_mode) ? ELOOP : S_ISDIR(st.st_mode) ? err : ENOTDIR;
  return err;
}

}  // namespace

UniqueFd make_owned_dir(int base, const std::string& rel, uid_t uid, gid_t gid) {
  UniqueFd dir(::fcntl(base, F_DUPFD_CLOEXEC, 0));
  if (!dir) fail(rel, "dup", errno);
  std::string path;
  for (size_t start = 0; start <= rel.size();) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string name = rel.substr(start, end - start);
    start = end + 1;
    if (name.empty() || name == ".") continue;
    path += (path.empty() ? "" : "/") + name;
    if (name == "..") fail(path, "open", EXDEV);
    if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
      fail(path, "mkdir", errno);
    UniqueFd next = open_dir_beneath(dir.get(), name);
    if (!next) fail(path, "open", open_error(dir.get(), name, errno));
    struct stat st {};
    if (::fstat(next.get(), &st) != 0) fail(path, "stat", errno);
    if ((st.st_uid != uid || st.st_gid != gid) && ::fchown(next.get(), uid, gid) != 0)
      fail(path, "chown", errno);
    dir = std::move(next);
  }
  return dir;
}

}  // namespace cove::sessions
