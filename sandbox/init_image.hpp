// Programs cove carries inside its own binary: the sandbox's init (sandbox/init/) and the
// file tools' server (runtime/tools/server/), each run from a sealed memfd.
#pragma once

#include <string_view>

namespace cove::sandbox {

// A sealed, close-on-exec memfd holding `image` (an executable's bytes). Nothing can change
// it once made, so a program run from it cannot be overwritten from inside a sandbox.
// Throws SandboxError(name, ...).
int sealed_program(const char* name, std::string_view image);

// The init executable as such a memfd, created once per process (thread-safe). Sandboxes
// exec init from it, so cove stays a single binary. Throws SandboxError("init", ...).
int init_image_fd();

}  // namespace cove::sandbox
