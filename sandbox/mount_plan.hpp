// The mount plan: the ordered list of filesystem operations that builds a sandbox's root.
//
// It is computed here, in the supervisor, as plain data (so it can be validated and unit
// tested without privileges) and applied by the sandbox's init inside the new mount
// namespace (init/mnt.cpp). The root is a tmpfs that init makes read-only at the end.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/protocol.hpp"
#include "sandbox/spec.hpp"

namespace cove::sandbox {

// The parts of the host filesystem the plan depends on; tests substitute their own.
class HostView {
 public:
  virtual ~HostView() = default;
  // The link text when `path` is a symlink, nullopt otherwise.
  virtual std::optional<std::string> symlink_target(const std::string& path) const = 0;
  virtual bool is_directory(const std::string& path) const = 0;
  virtual bool exists(const std::string& path) const = 0;

  static const HostView& real();
};

// Host directories shown read-only in every sandbox (or recreated as symlinks when the host
// has them as symlinks, as on merged-/usr systems).
const std::vector<std::string>& system_dirs();

// Builds the plan for `spec`. Throws SandboxError("mount plan", reason) for invalid binds:
// relative or non-normal paths, targets on or inside a system directory, /proc or /dev,
// duplicate targets, missing sources.
std::vector<wire::MountOp> build_mount_plan(const SandboxSpec& spec, const HostView& host);

// /etc/passwd and /etc/group as the sandbox sees them: root, the sandbox user, nobody.
std::string passwd_file(const Identity& id);
std::string group_file(const Identity& id);

// True when `path` is absolute and has no empty, "." or ".." components or trailing '/'.
bool is_normal_absolute_path(const std::string& path);

}  // namespace cove::sandbox
