#include "mounts/handles.hpp"

#include <sys/mount.h>

namespace cove::mounts {

MountGuard::~MountGuard() {
  if (target_.empty()) return;
  if (::umount2(target_.c_str(), 0) != 0) ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace cove::mounts
