// Loading a compiled seccomp program. Header-only and libc-only: used by the sandbox's init
// (a static binary without libseccomp) and by the policy tests.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <cerrno>
#include <string_view>

namespace cove::sandbox::seccomp {

// Installs `program` (struct sock_filter[] as bytes) on the calling thread. no_new_privs
// must be set already. Returns 0 or an errno value; async-signal-safe.
inline int install(std::string_view program) {
  sock_fprog prog{static_cast<unsigned short>(program.size() / sizeof(sock_filter)),
                  reinterpret_cast<sock_filter*>(const_cast<char*>(program.data()))};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace cove::sandbox::seccomp
