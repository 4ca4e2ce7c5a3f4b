// Paths resolved inside the sandbox's root (see fs.hpp).
#include "runtime/tools/server/fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cove::tools {
int open_in_root(int root, const std::string& path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a concurrent rename raced a ".." step; the kernel asks for a retry.
    if (errno != EAGAIN || attempt == 8) return -errno;
  }
}

UniqueFd open_or_throw(int root, const std::string& path, int flags, mode_t mode) {
  int fd = open_in_root(root, path, flags, mode);
  if (fd < 0) throw ToolError(describe_error(path, -fd));
  return UniqueFd(fd);
}

void make_directories(int root, const std::string& dir) {
  std::string prefix = "/";
  for (const auto& part : path_components(dir)) {
    std::string next = join_path(prefix, part);
    int fd = open_in_root(root, next, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      ::close(fd);
      prefix = next;
      continue;
    }
    if (fd != -ENOENT) throw ToolError(describe_error(next, -fd));
    UniqueFd parent = open_or_throw(root, prefix, O_PATH | O_DIRECTORY);
    // One component relative to a resolved directory: nothing here can leave the root.
    if (::mkdirat(parent.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
      throw ToolError("cannot create directory " + describe_error(next, errno));
    prefix = next;
  }
}

std::string describe_error(const std::string& path, int err) {
  std::string out = path + ": " + std::strerror(err);
  switch (err) {
    case EACCES:
    case EPERM:
      return out + " (the sandbox user may not access it)";
    case ELOOP:
      return out + " (a symbolic link loop, or a link into /proc, which is not followed)";
    case EROFS:
      return out + " (only the workspace, /tmp and /dev/shm are writable)";
    case ENOTDIR:
      return out + " (a component of the path is not a directory)";
    default:
      return out;
  }
}

}  // namespace cove::tools
