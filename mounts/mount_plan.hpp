// What a session checkout needs mounted inside the sandbox. The runtime turns each entry
// into a sandbox bind; mounts/ knows nothing about the sandbox.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cove::mounts {

struct MountEntry {
  std::filesystem::path source;  // host directory
  std::string target;            // absolute path inside the sandbox
  bool read_only = false;
};

// For a checkout: the session's writable view at its /workspace path, and the mirror's
// object store read-only at the same absolute path as on the host, because the checkout's
// objects/info/alternates names that path.
struct MountPlan {
  std::vector<MountEntry> entries;
};

}  // namespace cove::mounts
