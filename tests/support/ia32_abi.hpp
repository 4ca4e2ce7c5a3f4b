// Whether this kernel runs 32-bit (ia32) system calls made with `int $0x80`. Kernels built
// without IA32_EMULATION, or booted with ia32_emulation=0, raise SIGSEGV on the instruction
// before seccomp sees the call; kernels that emulate it hand the call to seccomp, whose
// architecture check must then kill the caller with SIGSYS. The tests assert the right one.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cove::test {

// Makes ia32 getpid (20) through int 0x80; returns normally only where the ABI is emulated.
inline void ia32_getpid() {
  // The kernel's own outcome, not a handler's: sanitizers catch SIGSEGV and exit instead.
  ::signal(SIGSEGV, SIG_DFL);
  long ret = 20;
  asm volatile("int $0x80" : "+a"(ret) : : "memory");
}

// The signal that kills a process making an ia32 call with no seccomp filter: 0 when the
// kernel emulates the ABI (the call returns), SIGSEGV (typically) when it does not.
inline int ia32_signal_without_filter() {
  static const int sig = [] {
    pid_t pid = ::fork();
    if (pid == 0) {
      ia32_getpid();
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }();
  return sig;
}

}  // namespace cove::test
