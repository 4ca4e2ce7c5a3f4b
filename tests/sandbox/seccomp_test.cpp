// Filter correctness (research/sandbox.md §5.1 #21, #23): every rule of the default policy is
// called with denied arguments (must fail with the rule's errno) and, where the rule looks
// at arguments, with allowed ones (must not). Each call runs in a forked child under the
// compiled filter. Arguments are chosen so that, should the filter fail to match, the
// kernel itself rejects the call (EINVAL, EBADF, ENOENT...): a broken filter fails the test
// without touching the host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>

#include "sandbox/seccomp_install.hpp"
#include "sandbox/seccomp_policy.hpp"
#include "tests/support/ia32_abi.hpp"

namespace sc = cove::sandbox::seccomp;

namespace {

struct Outcome {
  bool killed_by_sigsys = false;
  int signal = 0;  // the signal that ended the child, 0 when it exited
  int error = 0;   // errno of the call, 0 when it succeeded
};

// Runs `call` (returns a syscall result) in a child with the default filter installed.
Outcome under_filter(const std::function<long()>& call) {
  const std::string& program = sc::default_program();
  int pipefd[2];
  EXPECT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // no controlling terminal: vhangup() below can do no harm
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sc::install(program) != 0) ::_exit(2);
    errno = 0;
    long rc = call();
    int err = rc == -1 ? errno : 0;
    ssize_t ignored = ::write(pipefd[1], &err, sizeof err);
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipefd[1]);
  Outcome out;
  int err = -1;
  bool got = ::read(pipefd[0], &err, sizeof err) == sizeof err;
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  out.killed_by_sigsys = out.signal == SIGSYS;
  EXPECT_TRUE(got || out.signal != 0) << "child status " << status;
  out.error = err;
  return out;
}

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  return ::syscall(nr, a, b, c, d, e, f);
}

struct Probe {
  std::string syscall;
  std::function<long()> denied;
  std::function<long()> allowed;  // empty for whole-syscall rules
};

long bad_ptr() {
  return 0;
}

std::vector<Probe> probes() {
  const char* missing = "/nonexistent-cove-probe";
  auto path = [missing] { return reinterpret_cast<long>(missing); };
  std::vector<Probe> p = {
      {"ptrace", [] { return sys(SYS_ptrace, PTRACE_PEEKUSER, 0, 0, 0); }, {}},
      {"process_vm_readv", [] { return sys(SYS_process_vm_readv, 0, 0, 0, 0, 0, 0); }, {}},
      {"process_vm_writev", [] { return sys(SYS_process_vm_writev, 0, 0, 0, 0, 0, 0); }, {}},
      {"kcmp", [] { return sys(SYS_kcmp, 0, 0, -1, 0, 0); }, {}},
      {"pidfd_getfd", [] { return sys(SYS_pidfd_getfd, -1, 0, 0); }, {}},
      {"unshare", [] { return sys(SYS_unshare, -1); }, {}},
      {"setns", [] { return sys(SYS_setns, -1, 0); }, {}},
      {"mount", [=] { return sys(SYS_mount, path(), path(), path(), 0, 0); }, {}},
      {"umount2", [=] { return sys(SYS_umount2, path(), 0); }, {}},
      {"pivot_root", [=] { return sys(SYS_pivot_root, path(), path()); }, {}},
      {"chroot", [=] { return sys(SYS_chroot, path()); }, {}},
      {"fsopen", [] { return sys(SYS_fsopen, reinterpret_cast<long>("no-such-fs-cove"), 0); }, {}},
      {"fsconfig", [] { return sys(SYS_fsconfig, -1, 0, 0, 0, 0); }, {}},
      {"fsmount", [] { return sys(SYS_fsmount, -1, 0, 0); }, {}},
      {"fspick", [] { return sys(SYS_fspick, -1, reinterpret_cast<long>(""), 0); }, {}},
      {"move_mount", [] { return sys(SYS_move_mount, -1, 0, -1, 0, 0); }, {}},
      {"open_tree", [] { return sys(SYS_open_tree, -1, 0, 0); }, {}},
      {"mount_setattr", [] { return sys(SYS_mount_setattr, -1, 0, 0, 0, 0); }, {}},
      {"keyctl", [] { return sys(SYS_keyctl, -1, 0, 0, 0, 0); }, {}},
      {"add_key", [] { return sys(SYS_add_key, 0, 0, 0, 0, 0); }, {}},
      {"request_key", [] { return sys(SYS_request_key, 0, 0, 0, 0); }, {}},
      {"bpf", [] { return sys(SYS_bpf, -1, 0, 0); }, {}},
      {"perf_event_open", [] { return sys(SYS_perf_event_open, 0, 0, 0, -1, 0); }, {}},
      {"userfaultfd", [] { return sys(SYS_userfaultfd, -1); }, {}},
      {"fanotify_init", [] { return sys(SYS_fanotify_init, -1, 0); }, {}},
      {"lookup_dcookie", [] { return sys(SYS_lookup_dcookie, 0, 0, 0); }, {}},
      {"io_uring_setup", [] { return sys(SYS_io_uring_setup, 0, 0); }, {}},
      {"io_uring_enter", [] { return sys(SYS_io_uring_enter, -1, 0, 0, 0, 0, 0); }, {}},
      {"io_uring_register", [] { return sys(SYS_io_uring_register, -1, 0, 0, 0); }, {}},
      {"open_by_handle_at", [] { return sys(SYS_open_by_handle_at, -1, 0, 0); }, {}},
      {"name_to_handle_at", [] { return sys(SYS_name_to_handle_at, -1, 0, 0, 0, 0); }, {}},
      {"kexec_load", [] { return sys(SYS_kexec_load, 0, 0, 0, -1); }, {}},
      {"kexec_file_load", [] { return sys(SYS_kexec_file_load, -1, -1, 0, 0, -1); }, {}},
      {"init_module", [] { return sys(SYS_init_module, bad_ptr(), 0, 0); }, {}},
      {"finit_module", [] { return sys(SYS_finit_module, -1, 0, 0); }, {}},
      {"delete_module",
       [] { return sys(SYS_delete_module, reinterpret_cast<long>("no_such_cove_mod"), 0); },
       {}},
      {"reboot", [] { return sys(SYS_reboot, 0, 0, 0, 0); }, {}},
      {"swapon", [=] { return sys(SYS_swapon, path(), 0); }, {}},
      {"swapoff", [=] { return sys(SYS_swapoff, path()); }, {}},
      {"acct", [=] { return sys(SYS_acct, path()); }, {}},
      {"syslog", [] { return sys(SYS_syslog, -1, 0, 0); }, {}},
      {"quotactl", [=] { return sys(SYS_quotactl, 0, path(), 0, 0); }, {}},
      {"quotactl_fd", [] { return sys(SYS_quotactl_fd, -1, 0, 0, 0); }, {}},
      {"iopl", [] { return sys(SYS_iopl, 4); }, {}},
      {"ioperm", [] { return sys(SYS_ioperm, 0xffffffffL, 1, 0); }, {}},
      {"vhangup", [] { return sys(SYS_vhangup); }, {}},
      {"uselib", [=] { return sys(SYS_uselib, path()); }, {}},
      {"settimeofday",
       [] {
         static timeval bad{0, 2000000};
         return sys(SYS_settimeofday, reinterpret_cast<long>(&bad), 0);
       },
       {}},
      {"clock_settime", [] { return sys(SYS_clock_settime, -1, 0); }, {}},
      {"adjtimex",
       [] {
         static timex tx{};
         return sys(SYS_adjtimex, reinterpret_cast<long>(&tx));
       },
       {}},
      {"clock_adjtime", [] { return sys(SYS_clock_adjtime, -1, 0); }, {}},
      {"clone3", [] { return sys(SYS_clone3, 0, 0); }, {}},
      // CLONE_THREAD without CLONE_SIGHAND is EINVAL: nothing is ever created.
      {"ioctl", [] { return sys(SYS_ioctl, -1, TIOCSTI, 0); },
       [] { return sys(SYS_ioctl, -1, TIOCGWINSZ, 0); }},
      {"ioctl", [] { return sys(SYS_ioctl, -1, TIOCLINUX, 0); },
       [] { return sys(SYS_ioctl, -1, TIOCSWINSZ, 0); }},
      {"personality", [] { return sys(SYS_personality, 0); },
       [] { return sys(SYS_personality, 0xffffffffL); }},
  };
  for (long flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                    CLONE_NEWUTS, CLONE_NEWCGROUP})
    p.push_back({"clone", [flag] { return sys(SYS_clone, flag | CLONE_THREAD, 0, 0, 0, 0); },
                 [] { return sys(SYS_clone, CLONE_THREAD, 0, 0, 0, 0); }});
  // Setuid and setgid bits; the path is missing and the fd bad, so a call the filter let
  // through fails in the kernel with ENOENT or EBADF, never EPERM.
  for (long bit : {S_ISUID, S_ISGID}) {
    auto mode_probe = [&](const char* name, std::function<long(long)> call) {
      p.push_back({name, [call, bit] { return call(0755 | bit); }, [call] { return call(0755); }});
    };
    mode_probe("chmod", [=](long m) { return sys(SYS_chmod, path(), m); });
    mode_probe("fchmod", [](long m) { return sys(SYS_fchmod, -1, m); });
    mode_probe("fchmodat", [=](long m) { return sys(SYS_fchmodat, AT_FDCWD, path(), m); });
    mode_probe("fchmodat2",
               [=](long m) { return sys(452 /* fchmodat2 */, AT_FDCWD, path(), m, 0); });
    mode_probe("open", [=](long m) { return sys(SYS_open, path(), O_WRONLY | O_CREAT, m); });
    mode_probe("openat",
               [=](long m) { return sys(SYS_openat, AT_FDCWD, path(), O_WRONLY | O_CREAT, m); });
    mode_probe("creat", [=](long m) { return sys(SYS_creat, path(), m); });
    mode_probe("mknod", [=](long m) { return sys(SYS_mknod, path(), S_IFREG | m, 0); });
    mode_probe("mknodat",
               [=](long m) { return sys(SYS_mknodat, AT_FDCWD, path(), S_IFREG | m, 0); });
  }
  for (long family : {AF_NETLINK, AF_PACKET, AF_VSOCK})
    p.push_back({"socket", [family] { return sys(SYS_socket, family, SOCK_DGRAM, 0); },
                 [] { return sys(SYS_socket, AF_INET, SOCK_DGRAM, 0); }});
  return p;
}

const sc::Rule* rule_for(const Probe& probe, int error) {
  for (const auto& r : sc::default_policy())
    if (r.syscall == probe.syscall && r.error == error) return &r;
  return nullptr;
}

}  // namespace

TEST(SeccompPolicy, EveryRuleHasAProbe) {
  std::map<std::string, int> rules, covered;
  for (const auto& r : sc::default_policy())
    ++rules[std::string(r.syscall)];
  for (const auto& p : probes())
    ++covered[p.syscall];
  for (const auto& [name, count] : rules)
    EXPECT_GE(covered[name], count) << "rule(s) for " << name << " lack a probe";
}

TEST(SeccompPolicy, DeniedArgumentsFailWithTheRulesErrno) {
  std::map<std::string, int> expected;
  for (const auto& r : sc::default_policy())
    expected[std::string(r.syscall)] = r.error;
  for (const auto& p : probes()) {
    Outcome o = under_filter(p.denied);
    EXPECT_FALSE(o.killed_by_sigsys) << p.syscall;
    EXPECT_EQ(o.error, expected[p.syscall])
        << p.syscall << " returned " << (o.error ? strerror(o.error) : "success");
    EXPECT_NE(rule_for(p, o.error), nullptr) << p.syscall;
  }
}

TEST(SeccompPolicy, AllowedArgumentsReachTheKernel) {
  for (const auto& p : probes()) {
    if (!p.allowed) continue;
    Outcome o = under_filter(p.allowed);
    EXPECT_FALSE(o.killed_by_sigsys) << p.syscall;
    for (const auto& r : sc::default_policy()) {
      if (r.syscall == p.syscall && r.when) {
        EXPECT_NE(o.error, r.error) << p.syscall << " allowed call was filtered";
      }
    }
  }
}

TEST(SeccompPolicy, UpperBitsOfIoctlRequestsAndSocketFamiliesDoNotEvade) {
  // CVE-2019-10063: the kernel truncates the request to 32 bits; so must the filter.
  EXPECT_EQ(under_filter([] { return sys(SYS_ioctl, -1, (1L << 32) | TIOCSTI, 0); }).error, EPERM);
  EXPECT_EQ(
      under_filter([] { return sys(SYS_socket, (1L << 32) | AF_NETLINK, SOCK_DGRAM, 0); }).error,
      EAFNOSUPPORT);
}

TEST(SeccompPolicy, ForeignArchitecturesAreKilled) {
  // x32 ABI: the same entry point with bit 30 set in the syscall number.
  EXPECT_TRUE(under_filter([] { return sys(0x40000000L | SYS_getpid); }).killed_by_sigsys);
  // ia32 ABI through int 0x80. Where the kernel emulates it, seccomp sees the call and must
  // kill with SIGSYS; where it does not, the instruction itself kills the caller first.
  Outcome ia32 = under_filter([] {
    cove::test::ia32_getpid();
    return 0L;
  });
  if (cove::test::ia32_signal_without_filter() == 0) {
    EXPECT_TRUE(ia32.killed_by_sigsys) << "the ia32 ABI is emulated and was not filtered";
  } else {
    EXPECT_EQ(ia32.signal, cove::test::ia32_signal_without_filter())
        << "no ia32 emulation: the call must die as it does unfiltered";
  }
}

TEST(SeccompPolicy, OrdinarySyscallsStillWork) {
  EXPECT_EQ(under_filter([] { return sys(SYS_getpid) > 0 ? 0 : -1; }).error, 0);
  EXPECT_EQ(under_filter([] {
              pid_t pid = ::fork();  // clone without namespace flags
              if (pid == 0) ::_exit(0);
              return static_cast<long>(::waitpid(pid, nullptr, 0) == pid ? 0 : -1);
            }).error,
            0);
}
