// User namespace id maps: which host ids the sandbox's ids stand for.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/unique_fd.hpp"
#include "sandbox/spec.hpp"

namespace cove::sandbox {

struct IdMapping {
  // Host root maps the whole range; anyone else maps only their own ids (rootless).
  bool privileged = false;
  std::string uid_map;  // contents for /proc/PID/uid_map
  std::string gid_map;
  bool deny_setgroups = false;  // write "deny" to /proc/PID/setgroups first
  uint32_t init_uid = 0;        // the ids init takes inside the namespace
  uint32_t init_gid = 0;
};

// The mapping for `id`. A privileged supervisor (host root) maps the whole range
// [host_base, host_base + count); an unprivileged one can only map its own uid, which then
// stands for the sandbox user. Throws SandboxError("user namespace", ...) when `id` would map
// anything onto host uid 0 or overflows.
IdMapping plan_id_mapping(const Identity& id, uid_t supervisor_uid, gid_t supervisor_gid);

// The host ids behind the sandbox user when a supervisor with these ids starts the sandbox:
// the owner of what the sandbox user writes on the host, and what a writable checkout must
// be owned by. host_base + user for host root; the supervisor's own ids otherwise, since
// a rootless sandbox maps only those (onto the sandbox user).
struct HostIds {
  uid_t uid = 0;
  gid_t gid = 0;
};
HostIds sandbox_user_on_host(const Identity& id, uid_t supervisor_uid, gid_t supervisor_gid);
// The same for the calling process as supervisor (its effective ids).
HostIds sandbox_user_on_host(const Identity& id);

// A user namespace whose maps send host ids `from_uid`/`from_gid` to the sandbox user's
// `to`: given to an id-mapped bind (MOUNT_ATTR_IDMAP), files of `from` appear as the sandbox
// user's and what the sandbox user creates there is stored as `from`. Only host root may
// make one. Throws SandboxError("user namespace", ...).
UniqueFd idmap_userns(uid_t from_uid, gid_t from_gid, HostIds to);

// Writes the maps of the (not yet released) process `pid`.
void write_id_mapping(pid_t pid, const IdMapping& m);

}  // namespace cove::sandbox
