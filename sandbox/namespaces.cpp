#include "sandbox/namespaces.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sandbox/error.hpp"
#include "sandbox/init_image.hpp"
#include "sandbox/protocol.hpp"

namespace cove::sandbox {
namespace {

constexpr int kNamespaces =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;

struct ChildArgs {
  int image;
  int control;
  int exec_errno;  // written by the child (shared memory) when exec fails
};

// Runs in the child on its own stack, sharing the parent's memory until exec: only raw
// system calls here.
__attribute__((no_sanitize("address", "undefined"))) int child_main(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  if (a->control == wire::kControlFd)
    ::fcntl(a->control, F_SETFD, 0);
  else
    ::dup2(a->control, wire::kControlFd);
  // The child holds every capability in its new user namespace, but its uid is not mapped
  // yet, so exec would drop them. Carry them across exec as ambient capabilities; init
  // clears the ambient set for every command it runs.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2];
  ::syscall(SYS_capget, &header, data);
  data[0].inheritable = data[0].permitted;
  data[1].inheritable = data[1].permitted;
  ::syscall(SYS_capset, &header, data);
  for (int cap = 0; cap <= 63; ++cap)
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  static char arg0[] = "cove-init";
  char* argv[] = {arg0, nullptr};
  char* envp[] = {nullptr};
  ::syscall(SYS_execveat, a->image, "", argv, envp, AT_EMPTY_PATH);
  a->exec_errno = errno;
  ::_exit(127);
}

}  // namespace

pid_t start_init(int control_fd) {
  ChildArgs args{init_image_fd(), control_fd, 0};
  alignas(16) static thread_local char stack[32 * 1024];
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::clone(child_main, stack + sizeof stack,
                      CLONE_VM | CLONE_VFORK | kNamespaces | SIGCHLD, &args);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    if (clone_errno == EPERM || clone_errno == ENOSPC || clone_errno == EUSERS)
      throw SandboxError("namespaces",
                         std::string("clone: ") + std::strerror(clone_errno) +
                             " (user namespaces are disabled or exhausted here: check "
                             "user.max_user_namespaces, kernel.unprivileged_userns_clone and "
                             "AppArmor's restrict_unprivileged_userns)");
    throw_errno("namespaces", "clone", clone_errno);
  }
  if (args.exec_errno != 0) {
    ::waitpid(pid, nullptr, 0);
    throw_errno("init", "exec init image", args.exec_errno);
  }
  return pid;
}

}  // namespace cove::sandbox
