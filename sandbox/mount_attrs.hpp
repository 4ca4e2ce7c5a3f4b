// The mount attributes (MOUNT_ATTR_*) a mount operation's wire flags ask for; shared by the
// supervisor, which captures host bind sources, and init, which builds the root.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstdint>

#include "base/unique_fd.hpp"
#include "sandbox/protocol.hpp"

namespace cove::sandbox {

inline uint64_t mount_attrs(uint32_t flags) {
  uint64_t a = 0;
  if (flags & wire::kReadOnly) a |= MOUNT_ATTR_RDONLY;
  if (flags & wire::kNoSuid) a |= MOUNT_ATTR_NOSUID;
  if (flags & wire::kNoDev) a |= MOUNT_ATTR_NODEV;
  if (flags & wire::kNoExec) a |= MOUNT_ATTR_NOEXEC;
  return a;
}

// Whether the operation binds a host path (captured by the supervisor and passed to init).
inline bool binds_host_path(const wire::MountOp& op) {
  return op.kind == wire::MountKind::kBind && !(op.flags & wire::kSourceInRoot);
}

// Captures a host bind source: a detached copy of the mount tree at op.source (with what is
// mounted below it), its flags set. Flags are only added, never cleared: a mount copied into
// a user namespace keeps the host's ro/nosuid/nodev/noexec locked, and so does cove.
// `idmap`, when not -1, is a user namespace to id-map the copy with (MOUNT_ATTR_IDMAP).
// Returns an invalid fd with errno set when it fails; `failed` then names the call.
inline UniqueFd capture_bind_source(const wire::MountOp& op, const char*& failed, int idmap = -1) {
  UniqueFd fd(
      ::open_tree(AT_FDCWD, op.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!fd) {
    failed = "bind source ";
    return fd;
  }
  mount_attr attr{};
  attr.attr_set = mount_attrs(op.flags);
  if (idmap >= 0) {
    attr.attr_set |= MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(idmap);
  }
  if (::mount_setattr(fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    failed = idmap >= 0 ? "id-map (owned by the caller) bind " : "set flags of bind ";
    int err = errno;
    fd.reset();
    errno = err;
  }
  return fd;
}

}  // namespace cove::sandbox
