// Identity, capabilities, rlimits and no_new_privs.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "sandbox/init/init.hpp"

namespace cove::sandbox::init {

void become(uint32_t uid, uint32_t gid, bool clear_groups) {
  if (clear_groups && ::setgroups(0, nullptr) != 0) fail("identity: setgroups", errno);
  if (::setresgid(gid, gid, gid) != 0) fail("identity: setresgid " + std::to_string(gid), errno);
  if (::setresuid(uid, uid, uid) != 0) fail("identity: setresuid " + std::to_string(uid), errno);
}

void disable_nested_user_namespaces() {
  int fd = ::open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("user namespace: open /proc/sys/user/max_user_namespaces", errno);
  if (::write(fd, "0", 1) != 1) fail("user namespace: set max_user_namespaces to 0", errno);
  ::close(fd);
}

void apply_rlimits(const std::vector<wire::Rlimit>& limits) {
  for (const auto& l : limits) {
    // Limits can only be lowered from inside a user namespace: never ask for more than the
    // current hard limit.
    auto resource = static_cast<__rlimit_resource>(l.resource);
    rlimit cur;
    if (::getrlimit(resource, &cur) != 0)
      fail("rlimit: getrlimit " + std::to_string(l.resource), errno);
    rlim_t hard = std::min<rlim_t>(static_cast<rlim_t>(l.hard), cur.rlim_max);
    rlimit r{std::min<rlim_t>(static_cast<rlim_t>(l.soft), hard), hard};
    if (::setrlimit(resource, &r) != 0)
      fail("rlimit: setrlimit " + std::to_string(l.resource), errno);
  }
}

void drop_privileges(uint32_t uid, uint32_t gid, bool clear_groups) {
  // The bounding set first: it needs CAP_SETPCAP, which the uid change below takes away.
  for (int cap = 0; cap <= 63; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      fail("capabilities: drop bounding set", errno);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    fail("capabilities: clear ambient set", errno);
  become(uid, gid, clear_groups);
  // Leaving uid 0 already cleared the sets; an unprivileged supervisor's sandbox never was
  // uid 0, so clear them explicitly in every case.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) fail("capabilities: capset", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs", errno);
}

}  // namespace cove::sandbox::init
