// The mount attributes (MOUNT_ATTR_*) a mount operation's wire flags ask for; shared by the
// supervisor, which captures host bind sources, and init, which builds the root.
#pragma once

#include <sys/mount.h>

#include <cstdint>

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

}  // namespace cove::sandbox
