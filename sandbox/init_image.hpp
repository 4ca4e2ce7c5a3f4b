// The sandbox's init program (sandbox/init/), embedded in the cove binary.
#pragma once

namespace cove::sandbox {

// A sealed memfd holding the init executable, created once per process (thread-safe).
// Sandboxes exec init from it, so nothing inside a sandbox can reach or overwrite the file
// its init runs from, and cove stays a single binary. Throws SandboxError("init", ...).
int init_image_fd();

}  // namespace cove::sandbox
