// The file system as the tools' server sees it from inside the sandbox: every path resolved
// below a root fd (the sandbox's own "/") without magic links, so a path names what the
// sandbox's processes would open, and /proc's links into other roots are refused.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>

#include "base/unique_fd.hpp"
#include "runtime/tools/text.hpp"

namespace cove::tools {

// A tool's failure, as the text the model sees (names the path and the reason).
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// openat2 below `root` with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: absolute paths,
// ".." and symlinks all stay inside. Returns the fd, or -errno.
int open_in_root(int root, const std::string& path, int flags, mode_t mode = 0);

// Like open_in_root, but throws ToolError "<path>: <reason>" on failure.
UniqueFd open_or_throw(int root, const std::string& path, int flags, mode_t mode = 0);

// Creates `dir` and its missing parents (mode 0755) inside `root`. Throws ToolError naming
// the directory that could not be made.
void make_directories(int root, const std::string& dir);

// "<path>: <strerror(err)>", with a hint for the errors a model can act on.
std::string describe_error(const std::string& path, int err);

}  // namespace cove::tools
