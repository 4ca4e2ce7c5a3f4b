// The sandbox's file system as seen from the runtime: paths resolved inside the sandbox's
// root (never outside it, whatever symlinks or ".." say) and file work done with the
// sandbox user's fs ids, so the kernel applies the sandbox's permissions.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/fd.hpp"

namespace cove::tools {

// A tool's failure, as the text the model sees (names the path and the reason).
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// While alive, the calling thread's fs uid/gid are the sandbox user's and its supplementary
// groups are empty; the previous ids and groups come back on destruction. All three are
// per-thread system calls here (glibc's wrappers would change every thread). A non-zero fs
// uid also drops the thread's file capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER...), so root's
// powers do not apply. Throws ToolError when the ids cannot be taken (cove is not root).
class ActAsSandboxUser {
 public:
  ActAsSandboxUser(uid_t uid, gid_t gid);
  ~ActAsSandboxUser();
  ActAsSandboxUser(const ActAsSandboxUser&) = delete;
  ActAsSandboxUser& operator=(const ActAsSandboxUser&) = delete;

 private:
  uid_t old_uid_;
  gid_t old_gid_;
  std::vector<gid_t> old_groups_;
};

// `path` made absolute against `cwd` and cleaned lexically ("." and ".." folded, ".."
// stopping at "/"): the name tools show for a path. Resolution itself is the kernel's.
std::string absolute_path(std::string_view cwd, std::string_view path);
// "/a/b" + "c" -> "/a/b/c"; "/" + "c" -> "/c".
std::string join_path(std::string_view dir, std::string_view name);

// Opens the root of a running sandbox (/proc/<pid>/root). Throws ToolError.
sandbox::UniqueFd open_sandbox_root(pid_t init_pid);

// openat2 below `root` with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: absolute paths,
// ".." and symlinks all stay inside. Returns the fd, or -errno.
int open_in_root(int root, const std::string& path, int flags, mode_t mode = 0);

// Like open_in_root, but throws ToolError "<path>: <reason>" on failure.
sandbox::UniqueFd open_or_throw(int root, const std::string& path, int flags, mode_t mode = 0);

// Creates `dir` and its missing parents (mode 0755) inside `root`, with the calling
// thread's fs ids. Throws ToolError naming the directory that could not be made.
void make_directories(int root, const std::string& dir);

// Sets the mode of a file cove just created (the runtime's umask may differ from 022).
void set_mode(int fd, mode_t mode);

// "<path>: <strerror(err)>", with a hint for the errors a model can act on.
std::string describe_error(const std::string& path, int err);

}  // namespace cove::tools
