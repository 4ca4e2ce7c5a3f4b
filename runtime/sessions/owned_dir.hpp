// Directories the runtime (root) makes inside a tree the sandbox controls, such as a
// session's workspace, for the sandbox user. The agent may have planted symlinks anywhere
// in that tree, so nothing here resolves a path by name from the host's root.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/unique_fd.hpp"

namespace cove::sessions {

// Opens the directory `rel` ("a/b", relative) below the open directory `base`, creating the
// missing components (mode 0755), and gives every component to uid:gid. Each step is an
// openat2 beneath the previous directory with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_XDEV and O_NOFOLLOW, so a symlink, a "..", a mount point or a non-directory on
// the way is an error, never followed, and ownership changes go through the opened fd.
// Throws std::runtime_error naming `rel` and the cause.
UniqueFd make_owned_dir(int base, const std::string& rel, uid_t uid, gid_t gid);

}  // namespace cove::sessions
