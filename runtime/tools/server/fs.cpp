// Paths resolved inside a sandbox's root, and file work as the sandbox user (see
// sandbox_fs.hpp).
#include "runtime/tools/sandbox_fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cove::tools {
namespace {

long fs_id_call(long number, long id) {
  return ::syscall(number, id);
}

[[noreturn]] void die(const char* what) {
  // A thread left with the wrong credentials must not carry on serving other work.
  std::fprintf(stderr, "cove: tools: cannot restore the thread's %s: %s\n", what,
               std::strerror(errno));
  std::abort();
}

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

}  // namespace

void set_mode(int fd, mode_t mode) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 07777) != mode && ::fchmod(fd, mode) != 0) {
    // Best effort: the file is usable with the mode it got.
  }
}

ActAsSandboxUser::ActAsSandboxUser(uid_t uid, gid_t gid) {
  int n = ::getgroups(0, nullptr);
  if (n > 0) {
    old_groups_.resize(static_cast<std::size_t>(n));
    n = ::getgroups(n, old_groups_.data());
    old_groups_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  if (::syscall(SYS_setgroups, 0, nullptr) != 0)
    throw ToolError(std::string("cannot act as the sandbox user: setgroups: ") +
                    std::strerror(errno) + " (cove must run as root)");
  old_gid_ = static_cast<gid_t>(fs_id_call(SYS_setfsgid, gid));
  old_uid_ = static_cast<uid_t>(fs_id_call(SYS_setfsuid, uid));
  // setfsuid/setfsgid report no errors: read the ids back (an invalid id changes nothing).
  if (static_cast<uid_t>(fs_id_call(SYS_setfsuid, -1)) != uid ||
      static_cast<gid_t>(fs_id_call(SYS_setfsgid, -1)) != gid) {
    fs_id_call(SYS_setfsuid, old_uid_);
    fs_id_call(SYS_setfsgid, old_gid_);
    if (::syscall(SYS_setgroups, old_groups_.size(), old_groups_.data()) != 0) die("groups");
    throw ToolError("cannot act as the sandbox user (uid " + std::to_string(uid) +
                    "): setfsuid was refused (cove must run as root)");
  }
}

ActAsSandboxUser::~ActAsSandboxUser() {
  fs_id_call(SYS_setfsuid, old_uid_);
  fs_id_call(SYS_setfsgid, old_gid_);
  if (static_cast<uid_t>(fs_id_call(SYS_setfsuid, -1)) != old_uid_) die("fs uid");
  if (static_cast<gid_t>(fs_id_call(SYS_setfsgid, -1)) != old_gid_) die("fs gid");
  if (::syscall(SYS_setgroups, old_groups_.size(), old_groups_.data()) != 0) die("groups");
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string absolute_path(std::string_view cwd, std::string_view path) {
  std::vector<std::string> parts;
  auto fold = [&](std::string_view p) {
    for (auto& part : components(p)) {
      if (part != "..")
        parts.push_back(std::move(part));
      else if (!parts.empty())
        parts.pop_back();
    }
  };
  if (path.empty() || path.front() != '/') fold(cwd);
  fold(path);
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& part : parts)
    out += "/" + part;
  return out;
}

sandbox::UniqueFd open_sandbox_root(pid_t init_pid) {
  std::string path = "/proc/" + std::to_string(init_pid) + "/root";
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw ToolError("cannot open the sandbox's root " + path + ": " + std::strerror(errno));
  return sandbox::UniqueFd(fd);
}

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

sandbox::UniqueFd open_or_throw(int root, const std::string& path, int flags, mode_t mode) {
  int fd = open_in_root(root, path, flags, mode);
  if (fd < 0) throw ToolError(describe_error(path, -fd));
  return sandbox::UniqueFd(fd);
}

void make_directories(int root, const std::string& dir) {
  std::string prefix = "/";
  for (const auto& part : components(dir)) {
    std::string next = join_path(prefix, part);
    int fd = open_in_root(root, next, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      ::close(fd);
      prefix = next;
      continue;
    }
    if (fd != -ENOENT) throw ToolError(describe_error(next, -fd));
    sandbox::UniqueFd parent = open_or_throw(root, prefix, O_PATH | O_DIRECTORY);
    // One component relative to a resolved directory: nothing here can leave the root.
    bool created = ::mkdirat(parent.get(), part.c_str(), 0755) == 0;
    if (!created && errno != EEXIST)
      throw ToolError("cannot create directory " + describe_error(next, errno));
    sandbox::UniqueFd made = open_or_throw(root, next, O_RDONLY | O_DIRECTORY);
    // The runtime's umask is not the sandbox's: give the mode the sandbox's umask would.
    if (created) set_mode(made.get(), 0755);
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
