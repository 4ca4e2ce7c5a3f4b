// The sandbox escape suite: research/sandbox.md §5.1 probes 1–8, 11–15 and 18–23, each
// asserting the blocked result, in cove's default profile. CI runs it as root, the harder
// case (the sandbox must hold although its supervisor is host root), and again as an
// ordinary user (tests/sandbox/rootless.sh): rootless, only that user's own ids are mapped.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/ia32_abi.hpp"
#include "tests/support/sandbox_harness.hpp"

namespace sb = cove::sandbox;
using cove::test::kProbe;
using cove::test::kWorkspace;
using cove::test::Output;

namespace {

class Escape : public ::testing::Test {
 protected:
  void SetUp() override { box_ = sb::Sandbox::start(cove::test::probe_spec(ws_.path())); }
  Output probe(std::vector<std::string> args) {
    args.insert(args.begin(), kProbe);
    return cove::test::run(*box_, args);
  }
  cove::test::TempDir ws_;
  std::unique_ptr<sb::Sandbox> box_;
};

bool one_of(const std::string& v, std::set<std::string> allowed) {
  return allowed.count(v) > 0;
}

// Started by host root: the whole id range maps away from host ids; otherwise rootless.
bool privileged() {
  return ::geteuid() == 0;
}

}  // namespace

// 1: ptrace of anything outside; host pids not visible.
TEST_F(Escape, P01_PtraceAndHostPids) {
  Output o = probe({"ptrace"});
  EXPECT_EQ(o.at("ptrace_attach_init"), "EPERM");
  EXPECT_EQ(o.at("ptrace_seize_init"), "EPERM");
  EXPECT_EQ(o.at("ptrace_attach_sibling"), "EPERM");
  EXPECT_EQ(o.at("process_vm_readv_sibling"), "EPERM");

  // Another session's sandbox and the host are invisible: only this sandbox's pids exist.
  auto other = sb::Sandbox::start(cove::test::probe_spec(""));
  Output p = probe({"pids", std::to_string(::getpid()), std::to_string(other->init_pid())});
  EXPECT_LE(std::stoi(p.at("proc_pids")), 3) << p.out;  // init, the probe, maybe nothing else
  EXPECT_EQ(p.at("kill_host_pid_" + std::to_string(::getpid())), "ESRCH");
  EXPECT_EQ(p.at("kill_host_pid_" + std::to_string(other->init_pid())), "ESRCH");
  EXPECT_EQ(p.at("init_comm"), "cove-init");
}

// 2: nested namespaces.
TEST_F(Escape, P02_NestedNamespaces) {
  Output o = probe({"nested_ns"});
  EXPECT_EQ(o.at("unshare_user"), "EPERM");
  EXPECT_EQ(o.at("unshare_mount"), "EPERM");
  EXPECT_EQ(o.at("unshare_net"), "EPERM");
  EXPECT_EQ(o.at("clone_newuser"), "EPERM");
  EXPECT_EQ(o.at("clone3"), "ENOSYS");
  EXPECT_EQ(o.at("setns_own_net"), "EPERM");
  EXPECT_EQ(o.at("max_user_namespaces"), "0");
  // util-linux's unshare must be there and refused (exit 127 would only mean "not found").
  Output u = cove::test::sh(*box_, "command -v unshare >/dev/null || exit 127; unshare -U true");
  EXPECT_NE(u.status.code, 0) << u.err;
  EXPECT_NE(u.status.code, 127) << "unshare is missing: the check proves nothing";
}

// 3: mount tricks; protective mounts stay.
TEST_F(Escape, P03_MountTricks) {
  Output o = probe({"mount"});
  for (const char* k : {"mount_tmpfs", "umount_usr", "umount_passwd", "remount_usr_rw",
                        "pivot_root", "open_tree", "move_mount", "mount_setattr_rw"})
    EXPECT_EQ(o.at(k), "EPERM") << k;
  Output m = probe({"mounts", "/usr", "/etc", "/"});
  EXPECT_NE(m.at("opts/usr").find("ro"), std::string::npos);
  EXPECT_EQ(m.at("opts/").substr(0, 2), "ro");
}

// 4: kernel attack surface.
TEST_F(Escape, P04_KernelAttackSurface) {
  Output o = probe({"kernel"});
  for (const char* k : {"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
                        "io_uring_setup", "kexec_load", "init_module", "finit_module"})
    EXPECT_EQ(o.at(k), "EPERM") << k;
  for (const char* k : {"socket_netlink", "socket_packet", "socket_vsock"})
    EXPECT_EQ(o.at(k), "EAFNOSUPPORT") << k;
  EXPECT_EQ(o.at("socket_inet_raw"), "EPERM");  // no CAP_NET_RAW
}

// 5: /proc and /sys.
TEST_F(Escape, P05_ProcAndSys) {
  Output o = probe({"procfs"});
  for (const char* k : {"core_pattern_w", "sysrq_trigger_w", "drop_caches_w", "kcore_r",
                        "init_environ_r", "init_mem_r"})
    EXPECT_TRUE(one_of(o.at(k), {"EACCES", "EROFS", "EPERM", "ENOENT"})) << k << "=" << o.at(k);
  for (const char* k : {"/proc/sys_ro", "/proc/irq_ro", "/proc/bus_ro"})
    EXPECT_EQ(o.at(k), "1") << k;
  EXPECT_EQ(o.at("sys_stat"), "ENOENT");
  EXPECT_TRUE(one_of(o.at("sys_create"), {"ENOENT", "EROFS"})) << o.at("sys_create");
}

// 6: devices.
TEST_F(Escape, P06_Devices) {
  Output o = probe({"devices", kWorkspace});
  for (const char* dev : {"/dev/kvm", "/dev/mem", "/dev/kmsg", "/dev/loop0", "/dev/fuse",
                          "/dev/vda", "/dev/sda", "/dev/net/tun", "/dev/port"})
    EXPECT_EQ(o.at(std::string("open") + dev), "ENOENT") << dev;
  EXPECT_EQ(o.at("mknod_workspace"), "EPERM");
  EXPECT_EQ(o.at("mkfifo_workspace"), "ok");  // ordinary special files still work
  Output m = probe({"mounts", kWorkspace, "/tmp", "/dev/shm"});
  for (const char* mnt : {"/workspace/repo", "/tmp", "/dev/shm"})
    EXPECT_NE(m.at(std::string("opts") + mnt).find("nodev"), std::string::npos) << mnt;
}

// 7: setuid and file capabilities give nothing.
TEST_F(Escape, P07_SetuidAndFileCaps) {
  Output id = probe({"identity"});
  EXPECT_EQ(id.at("NoNewPrivs"), "1");
  Output s = probe({"setuid", kWorkspace});
  EXPECT_EQ(s.at("setcap_xattr"), "EPERM");
  // The host's setuid-root binaries stay unprivileged: nosuid mounts and no_new_privs.
  Output su =
      cove::test::sh(*box_, "command -v su >/dev/null || exit 127; su -c 'id -u' root </dev/null");
  EXPECT_NE(su.status.code, 0) << su.out << su.err;
  EXPECT_NE(su.status.code, 127) << "su is missing: the check proves nothing";
  EXPECT_EQ(su.out.find("0\n"), std::string::npos);
  Output m = probe({"mounts", "/usr", kWorkspace, "/tmp"});
  for (const char* mnt : {"/usr", "/workspace/repo", "/tmp"})
    EXPECT_NE(m.at(std::string("opts") + mnt).find("nosuid"), std::string::npos) << mnt;
  // A setuid binary owned by the sandbox's own root (host uid host_base, a mapped id, so the
  // kernel would honour the bit) in the writable workspace: nosuid and no_new_privs both
  // stand between it and euid 0. Rootless, no id maps onto the sandbox's root at all: the
  // only file owner that exists inside is the sandbox user itself.
  std::string rootid = ws_.path().string() + "/rootid";
  std::filesystem::copy_file("/usr/bin/id", rootid);
  if (privileged()) {
    uid_t sandbox_root = box_->spec().identity.host_base;
    ASSERT_EQ(::chown(rootid.c_str(), sandbox_root, sandbox_root), 0);
  }
  ASSERT_EQ(::chmod(rootid.c_str(), 04755), 0);
  Output self =
      cove::test::sh(*box_, "stat -c %u:%a /workspace/repo/rootid; /workspace/repo/rootid -u");
  EXPECT_EQ(self.out, std::string(privileged() ? "0" : "1000") + ":4755\n1000\n") << self.err;
}

// 8: identity: root-owned files stay closed although the supervisor is root.
TEST_F(Escape, P08_IdentityIsNeverHostRoot) {
  cove::test::TempDir secrets;
  std::string key = secrets.path().string() + "/id_rsa";
  std::ofstream(key) << "secret";
  ::chmod(key.c_str(), 0600);
  ::chmod(secrets.path().c_str(), 0755);
  sb::SandboxSpec spec = cove::test::probe_spec("");
  spec.binds.push_back({secrets.path(), "/home/other/.ssh", true});
  auto box = sb::Sandbox::start(spec);
  Output o = cove::test::run(*box, {kProbe, "identity", "/home/other/.ssh/id_rsa"});
  EXPECT_EQ(o.at("shadow_r"), "EACCES");
  if (privileged()) {
    EXPECT_EQ(o.at("read_/home/other/.ssh/id_rsa"), "EACCES");
    EXPECT_EQ(o.at("uid_map"), "0:1000000:65536");
  } else {
    // Rootless, the sandbox user is the caller, whose own files these are; the probe above
    // checks a file of another user (root's /etc/shadow).
    EXPECT_EQ(o.at("uid_map"), "1000:" + std::to_string(::geteuid()) + ":1");
  }
  EXPECT_EQ(o.at("uid"), "1000");
  EXPECT_EQ(o.at("CapEff"), "0000000000000000");
  EXPECT_EQ(o.at("CapPrm"), "0000000000000000");
  EXPECT_EQ(o.at("CapBnd"), "0000000000000000");
  EXPECT_EQ(o.at("CapAmb"), "0000000000000000");
  if (privileged()) {
    EXPECT_EQ(o.at("groups").find_first_not_of(" \t"), std::string::npos)
        << "host root's supplementary groups must be gone: " << o.at("groups");
  } else {
    // An unprivileged user namespace may not drop groups (setgroups is denied so that no
    // one can shed a group that denies them access): the caller's own groups stay, shown as
    // the sandbox user's group or nogroup. They grant nothing the caller lacks.
    std::istringstream groups(o.at("groups"));
    for (std::string g; groups >> g;)
      EXPECT_TRUE(one_of(g, {"1000", "65534"})) << o.at("groups");
  }
}

// 11: host IPC: sockets on the host, by path or abstract name, are unreachable.
TEST_F(Escape, P11_HostIpc) {
  cove::test::TempDir dir;
  std::string path = dir.path().string() + "/host.sock";
  std::string abstract = "cove-test-" + std::to_string(::getpid());
  auto listen_on = [](const std::string& name, bool is_abstract) {
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    size_t off = is_abstract ? 1 : 0;
    std::memcpy(addr.sun_path + off, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + name.size());
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(s, 4), 0);
    return s;
  };
  int a = listen_on(path, false), b = listen_on(abstract, true);
  Output o = probe({"ipc", path, abstract});
  EXPECT_EQ(o.at("docker_sock"), "ENOENT");
  EXPECT_EQ(o.at("dbus_sock"), "ENOENT");
  EXPECT_EQ(o.at("host_path_sock"), "ENOENT");
  EXPECT_EQ(o.at("host_abstract_sock"), "ECONNREFUSED") << "abstract sockets are per netns";
  ::close(a);
  ::close(b);
}

// 12: a fork bomb is contained by pids.max; the host and other sandboxes keep working.
TEST(EscapeLimits, P12_ForkBomb) {
  sb::SandboxSpec spec = cove::test::probe_spec("");
  spec.limits.pids = 64;
  auto box = sb::Sandbox::start(spec);
  auto neighbour = sb::Sandbox::start(cove::test::probe_spec(""));
  COVE_REQUIRE_CGROUPS(*box);
  std::string pids_max;
  for (const auto& dir : box->cgroup()->dirs())
    if (std::filesystem::exists(dir + "/pids.max")) pids_max = dir;
  ASSERT_FALSE(pids_max.empty());
  std::thread bomb([&] {
    cove::test::RunOptions opts;
    opts.timeout = std::chrono::milliseconds(3000);
    Output o = cove::test::sh(*box, ":(){ :|:& };: ; sleep 10", opts);
    EXPECT_TRUE(o.status.timed_out);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  long peak = 0;
  std::ifstream(pids_max + "/pids.current") >> peak;
  EXPECT_LE(peak, 64);
  EXPECT_GE(peak, 32) << "the bomb should be running against the limit";
  // Meanwhile: the host forks and another sandbox runs commands.
  EXPECT_EQ(std::system("true"), 0);
  EXPECT_EQ(cove::test::sh(*neighbour, "echo alive").out, "alive\n");
  bomb.join();
}

// 13: memory bomb and tmpfs fill stay inside the sandbox.
TEST(EscapeLimits, P13_MemoryBombAndTmpfsFill) {
  sb::SandboxSpec spec = cove::test::probe_spec("");
  spec.limits.memory_bytes = 64ull << 20;
  spec.limits.tmp_bytes = 8ull << 20;
  auto box = sb::Sandbox::start(spec);
  COVE_REQUIRE_CGROUPS(*box);
  Output bomb = cove::test::run(
      *box, {"python3", "-c", "b = bytearray(256 * 1024 * 1024)\nprint('allocated')"});
  EXPECT_EQ(bomb.status.signal, SIGKILL) << "OOM-killed inside its cgroup: " << bomb.err;
  EXPECT_EQ(bomb.out.find("allocated"), std::string::npos);
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    Output fill = cove::test::sh(*box, std::string("dd if=/dev/zero of=") + dir +
                                           "/fill bs=1M count=16 2>&1; rm -f " + dir + "/fill");
    EXPECT_NE(fill.out.find("No space left on device"), std::string::npos) << dir << fill.out;
  }
  // The sandbox is still usable afterwards.
  EXPECT_EQ(cove::test::sh(*box, "echo ok").out, "ok\n");
}

// 14: a CPU hog is throttled by the CPU limit.
TEST(EscapeLimits, P14_CpuHogIsThrottled) {
  sb::SandboxSpec spec = cove::test::probe_spec("");
  spec.limits.cpus = 0.2;
  auto box = sb::Sandbox::start(spec);
  COVE_REQUIRE_CGROUPS(*box);
  // Busy for 2 s of wall time; report the CPU time it got.
  Output o = cove::test::run(*box, {"python3", "-c",
                                    "import os, time\n"
                                    "end = time.monotonic() + 2\n"
                                    "while time.monotonic() < end: pass\n"
                                    "t = os.times()\n"
                                    "print('cpu=%.3f' % (t.user + t.system))"});
  ASSERT_EQ(o.status.code, 0) << o.err;
  double cpu = std::stod(o.at("cpu"));
  EXPECT_LT(cpu, 1.0) << "0.2 cores for 2 s is about 0.4 s of CPU; unthrottled is 2 s";
}

// 15: writes outside the workspace.
TEST_F(Escape, P15_WritesOutsideWorkspace) {
  cove::test::TempDir other;
  sb::SandboxSpec spec = cove::test::probe_spec(ws_.path());
  cove::test::give_to_sandbox_user(other.path(), spec);  // only the read-only bind stops it
  spec.binds.push_back({other.path(), "/workspace/readonly", true});
  auto box = sb::Sandbox::start(spec);
  Output o = cove::test::run(*box, {kProbe, "write", kWorkspace, "/workspace/readonly"});
  for (const char* k : {"write_usr", "write_etc", "write_root"})
    EXPECT_EQ(o.at(k), "EROFS") << k;
  EXPECT_TRUE(one_of(o.at("write_etc_passwd"), {"EACCES", "EROFS"})) << o.at("write_etc_passwd");
  EXPECT_TRUE(one_of(o.at("write_root_home"), {"ENOENT", "EROFS"})) << o.at("write_root_home");
  EXPECT_EQ(o.at("write_/workspace/readonly"), "EROFS");
  EXPECT_EQ(o.at("write_tmp"), "ok");
  EXPECT_EQ(o.at("write_/workspace/repo"), "ok");
  // The runtime's own files are not there at all.
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = 0;
  EXPECT_NE(cove::test::run(*box, {"test", "-e", self}).status.code, 0);
}

// 18: no descriptor of the supervisor leaks into a command.
TEST_F(Escape, P18_FdLeaks) {
  int leaked = ::open("/etc/hostname", O_RDONLY);  // deliberately not close-on-exec
  ASSERT_GE(leaked, 0);
  auto box = sb::Sandbox::start(cove::test::probe_spec(""));
  Output o = cove::test::run(*box, {kProbe, "fds"});
  EXPECT_EQ(o.at("fds"), "0,1,2");
  ::close(leaked);
}

// 19: the runtime binary and init's executable are out of reach.
TEST_F(Escape, P19_RuntimeBinaryOverwrite) {
  Output o = probe({"exe"});
  EXPECT_EQ(o.at("init_exe_w"), "EACCES");
  EXPECT_EQ(o.at("init_exe_readlink"), "EACCES");
  EXPECT_TRUE(one_of(o.at("self_exe_rw"), {"ETXTBSY", "EROFS", "EACCES"})) << o.at("self_exe_rw");
  EXPECT_EQ(o.at("init_root_r"), "EACCES");
}

// 20: terminal injection.
TEST_F(Escape, P20_TtyInjection) {
  Output o = probe({"tty"});
  EXPECT_EQ(o.at("tiocsti"), "EPERM");
  EXPECT_EQ(o.at("tiocsti_high_bits"), "EPERM");
  EXPECT_EQ(o.at("tioclinux"), "EPERM");
  EXPECT_EQ(o.at("dev_tty"), "ENXIO") << "no controlling terminal";
  EXPECT_EQ(o.at("sid_is_self"), "1");
}

// 21: seccomp bypass through other ABIs.
TEST_F(Escape, P21_ForeignAbis) {
  Output o = probe({"abi"});
  // Where the kernel emulates ia32, seccomp must kill the call; where it does not, the
  // instruction dies inside the sandbox exactly as it does on the host without a filter.
  int unfiltered = cove::test::ia32_signal_without_filter();
  EXPECT_EQ(o.at("int80_getpid"), unfiltered == 0 ? "SYS" : sigabbrev_np(unfiltered));
  EXPECT_EQ(o.at("x32_getpid"), "SYS");
  EXPECT_EQ(o.at("clone3"), "ENOSYS");
}

// 22: nothing outlives its command's group, its sandbox, or the runtime.
TEST_F(Escape, P22_Leftovers) {
  // A background job in the command's process group dies with the command.
  Output bg = cove::test::sh(*box_, "sleep 1000 & echo $!");
  std::string pid = bg.out.substr(0, bg.out.find('\n'));
  // Killed at once; init reaps it as soon as the kernel reports it (a zombie still answers
  // kill -0 for that moment).
  Output gone = cove::test::sh(*box_, "for i in $(seq 200); do kill -0 " + pid +
                                          " 2>/dev/null || exit 0; sleep 0.01; "
                                          "done; exit 1");
  EXPECT_EQ(gone.status.code, 0) << "the background job outlived its command";

  // A daemon that left the group lives until the sandbox ends, then dies with it.
  Output daemon =
      cove::test::sh(*box_,
                     "setsid sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; "
                     "until [ \"$(cut -d' ' -f6 /proc/$p/stat)\" = $p ]; do sleep 0.01; "
                     "done; echo ok");
  ASSERT_EQ(daemon.out, "ok\n");
  std::vector<pid_t> pids = cove::test::host_pids(*box_);
  ASSERT_GE(pids.size(), 2u) << "init and the daemon";
  box_.reset();
  for (pid_t p : pids)
    EXPECT_FALSE(cove::test::alive(p)) << p;

  // The runtime killed with SIGKILL takes its sandboxes along.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const std::string cove_path = cove::test::cove_binary();  // no allocation after fork
  pid_t cove = ::fork();
  if (cove == 0) {
    ::dup2(ready[1], 1);
    ::execl(cove_path.c_str(), "cove", "sandbox", "run", "--", "sh", "-c",
            "echo $$; exec sleep 1007", nullptr);
    ::_exit(127);
  }
  ::close(ready[1]);
  struct KillOnExit {
    pid_t pid;
    ~KillOnExit() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } guard{cove};
  char buf[32] = {};
  ASSERT_GT(::read(ready[0], buf, sizeof buf - 1), 0);
  ::close(ready[0]);
  // Find the sleep's host pid (it execs just after printing).
  std::vector<pid_t> sleeping;
  for (int i = 0; i < 200 && sleeping.empty(); ++i) {
    for (auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream cmd(entry.path() / "cmdline");
      std::string line, arg;
      std::getline(cmd, line, '\0');
      std::getline(cmd, arg, '\0');
      if (line == "sleep" && arg == "1007") sleeping.push_back(std::stoi(entry.path().filename()));
    }
    if (sleeping.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(sleeping.empty());
  ::kill(cove, SIGKILL);
  for (int i = 0; i < 200; ++i) {
    bool any = false;
    for (pid_t p : sleeping)
      any |= cove::test::alive(p);
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (pid_t p : sleeping)
    EXPECT_FALSE(cove::test::alive(p)) << p;
}

// 23 (filter correctness, every rule with allowed and denied arguments) is
// tests/sandbox/seccomp_test.cpp; here the installed filter is checked end to end.
TEST_F(Escape, P23_FilterIsInstalledForEveryCommand) {
  Output o = probe({"identity"});
  EXPECT_EQ(o.at("Seccomp"), "2");
}

// 24: a bind target inside a writable bind is resolved without following links. A session's
// checkout is bound inside its writable workspace; had the agent left a symlink where the
// checkout goes, following it would mount the checkout over a system directory (or, with a
// writable source, make that directory writable).
TEST(EscapeBinds, P24_BindTargetsDoNotFollowLinks) {
  cove::test::TempDir ws, src;
  std::ofstream(src.path().string() + "/marker") << "from the source\n";
  for (std::string target : {"/usr/bin", "../../usr/lib", "/proc/self/root/etc"}) {
    std::filesystem::remove(ws.path().string() + "/sub");
    ASSERT_EQ(::symlink(target.c_str(), (ws.path().string() + "/sub").c_str()), 0);
    sb::SandboxSpec spec = cove::test::probe_spec(ws.path());
    spec.binds.push_back({src.path(), std::string(kWorkspace) + "/sub", false});
    std::unique_ptr<sb::Sandbox> box;
    try {
      box = sb::Sandbox::start(spec);
    } catch (const sb::SandboxError&) {
      continue;  // refused outright: the link was not followed
    }
    // Started anyway: the bind must have landed nowhere but on the link's own path.
    Output o = cove::test::sh(*box,
                              "ls /usr/bin/id /usr/lib /etc/passwd >/dev/null && "
                              "! test -e /usr/bin/marker && ! test -e /usr/lib/marker && "
                              "! test -e /etc/marker && echo intact");
    EXPECT_EQ(o.out, "intact\n") << target << ": " << o.err;
  }
}
