// Creating the sandbox's namespaces: user, mount, pid, net, ipc and uts in one clone.
// (The cgroup namespace follows inside init, once it sits in its cgroups.)
#pragma once

#include <sys/types.h>

namespace cove::sandbox {

// Starts the sandbox init in new namespaces, with `control_fd` as its fd 3, and returns its
// pid. The init waits for its id maps and setup message before doing anything. Safe to call
// from a multi-threaded process: the child only execs (vfork-style, no allocation).
// The init gets SIGKILL when the calling thread exits, so call it from a long-lived thread.
pid_t start_init(int control_fd);

}  // namespace cove::sandbox
