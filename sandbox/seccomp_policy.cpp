#include "sandbox/seccomp_policy.hpp"

#include <linux/filter.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "base/unique_fd.hpp"
#include "sandbox/error.hpp"

namespace cove::sandbox::seccomp {
namespace {

constexpr const char* kStep = "seccomp";

constexpr ArgMatch masked(unsigned index, uint64_t mask, uint64_t value) {
  return ArgMatch{index, ArgMatch::Op::kMaskedEq, mask, value};
}
constexpr ArgMatch flag_set(unsigned index, uint64_t flag) {
  return masked(index, flag, flag);
}

std::vector<Rule> make_default_policy() {
  std::vector<Rule> rules;
  auto deny = [&](std::string_view name, std::string_view why) {
    rules.push_back({name, EPERM, std::nullopt, why});
  };
  for (auto name : {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"})
    deny(name, "inspecting or controlling other processes");
  for (auto name : {"unshare", "setns"})
    deny(name, "new or foreign namespaces");
  for (auto name : {"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
                    "fspick", "move_mount", "open_tree", "mount_setattr"})
    deny(name, "changing the mount tree");
  for (auto name : {"keyctl", "add_key", "request_key"})
    deny(name, "kernel keyrings");
  for (auto name : {"bpf", "perf_event_open", "userfaultfd", "fanotify_init", "lookup_dcookie"})
    deny(name, "kernel attack surface");
  for (auto name : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
    deny(name, "io_uring would bypass the socket rules");
  for (auto name : {"open_by_handle_at", "name_to_handle_at"})
    deny(name, "file handles");
  for (auto name : {"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
                    "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd",
                    "iopl", "ioperm", "vhangup", "uselib"})
    deny(name, "host administration");
  for (auto name : {"settimeofday", "clock_settime", "adjtimex", "clock_adjtime"})
    deny(name, "the host clock");

  // Arguments that matter.
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                        CLONE_NEWUTS, CLONE_NEWCGROUP})
    rules.push_back({"clone", EPERM, flag_set(0, flag), "clone into new namespaces"});
  // clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes libc fall back
  // to clone, whose flags are checked above.
  rules.push_back({"clone3", ENOSYS, std::nullopt, "flags not inspectable"});
  // The kernel ignores the upper 32 bits of an ioctl request (CVE-2019-10063).
  rules.push_back({"ioctl", EPERM, masked(1, 0xffffffffu, TIOCSTI), "terminal input injection"});
  rules.push_back({"ioctl", EPERM, masked(1, 0xffffffffu, TIOCLINUX), "console injection"});
  for (uint64_t family : {AF_NETLINK, AF_PACKET, AF_VSOCK})
    rules.push_back(
        {"socket", EAFNOSUPPORT, masked(0, 0xffffffffu, family), "kernel and raw sockets"});
  // No setuid or setgid files: what the sandbox user makes in a bind belongs on the host to
  // the caller (rootless, or an id-mapped --bind: host root), and a setuid file there would
  // hand the caller's identity to any host user who runs it. The chmod family is what
  // matters: the kernel clears both bits when an unprivileged writer writes or truncates a
  // file, so a file created with them (openat2 passes its mode in memory, out of reach; the
  // file tools need openat2) stays empty or loses them. mkdir ignores them.
  struct ModeArg {
    std::string_view syscall;
    unsigned index;
  };
  for (auto [name, index] : {ModeArg{"chmod", 1}, ModeArg{"fchmod", 1}, ModeArg{"fchmodat", 2},
                             ModeArg{"fchmodat2", 2}, ModeArg{"open", 2}, ModeArg{"openat", 3},
                             ModeArg{"creat", 1}, ModeArg{"mknod", 1}, ModeArg{"mknodat", 2}})
    for (uint64_t bit : {uint64_t{S_ISUID}, uint64_t{S_ISGID}})
      rules.push_back({name, EPERM, flag_set(index, bit), "setuid and setgid files"});
  rules.push_back({"personality", EPERM, ArgMatch{0, ArgMatch::Op::kNotEq, 0, 0xffffffffu},
                   "only querying the personality is allowed"});
  return rules;
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

const std::vector<Rule>& default_policy() {
  static const std::vector<Rule> rules = make_default_policy();
  return rules;
}

std::string compile(const std::vector<Rule>& rules) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw SandboxError(kStep, "seccomp_init failed");
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) throw_errno(kStep, "seccomp_attr_set(ACT_BADARCH)", -rc);
  // no_new_privs is set by the caller; the program only carries the filter.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  for (const auto& r : rules) {
    std::string name(r.syscall);
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) throw SandboxError(kStep, "unknown syscall " + name);
    if (!r.when) {
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(r.error), nr, 0);
    } else {
      const ArgMatch& m = *r.when;
      scmp_arg_cmp cmp = m.op == ArgMatch::Op::kMaskedEq
                             ? scmp_arg_cmp{m.index, SCMP_CMP_MASKED_EQ, m.mask, m.value}
                             : scmp_arg_cmp{m.index, SCMP_CMP_NE, m.value, 0};
      rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ERRNO(r.error), nr, 1, &cmp);
    }
    if (rc < 0) throw_errno(kStep, "seccomp_rule_add(" + name + ")", -rc);
  }
  UniqueFd out(::memfd_create("cove-seccomp", MFD_CLOEXEC));
  if (!out) throw_errno(kStep, "memfd_create", errno);
  rc = seccomp_export_bpf(ctx.get(), out.get());
  if (rc < 0) throw_errno(kStep, "seccomp_export_bpf", -rc);
  off_t size = ::lseek(out.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0)
    throw SandboxError(kStep, "exported filter has a bad size");
  std::string program(static_cast<size_t>(size), '\0');
  if (::pread(out.get(), program.data(), program.size(), 0) != size)
    throw_errno(kStep, "read exported filter", errno);
  return program;
}

const std::string& default_program() {
  static const std::string program = compile(default_policy());
  return program;
}

}  // namespace cove::sandbox::seccomp
