// Escape probes, run inside a sandbox by escape_test.cpp (research/sandbox.md §4, §5.1).
// `probe GROUP [ARGS]` attempts each attack of GROUP and prints one `name=RESULT` line per
// attempt, RESULT being the errno name (EPERM, ...), "ok" when the call succeeded, or a
// value. The test decides what counts as blocked; the probe never interprets.
#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/ia32_abi.hpp"

namespace {

using cove::test::slurp;

void report(const char* name, long rc) {
  if (rc == -1)
    std::printf("%s=%s\n", name, strerrorname_np(errno));
  else
    std::printf("%s=ok\n", name);
}

void report_open(const char* name, const char* path, int flags) {
  int fd = ::open(path, flags | O_CLOEXEC, 0644);
  report(name, fd);
  if (fd >= 0) ::close(fd);
}

// Runs `fn` in a child; prints how the child ended (exit code or signal name).
void report_child(const char* name, const std::function<void()>& fn) {
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    fn();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    std::printf("%s=%s\n", name, sigabbrev_np(WTERMSIG(status)));
  else
    std::printf("%s=exit%d\n", name, WEXITSTATUS(status));
}

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  return ::syscall(nr, a, b, c, d, e);
}

void ptrace_probe(int, char**) {
  report("ptrace_attach_init", ::ptrace(PTRACE_ATTACH, 1, nullptr, nullptr));
  report("ptrace_seize_init", ::ptrace(static_cast<__ptrace_request>(PTRACE_SEIZE), 1, 0, 0));
  pid_t sibling = ::fork();
  if (sibling == 0) {
    ::pause();
    ::_exit(0);
  }
  report("ptrace_attach_sibling", ::ptrace(PTRACE_ATTACH, sibling, nullptr, nullptr));
  char buf[8];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x400000), sizeof buf};
  report("process_vm_readv_sibling", ::process_vm_readv(sibling, &local, 1, &remote, 1, 0));
  ::kill(sibling, SIGKILL);
  ::waitpid(sibling, nullptr, 0);
}

void pids_probe(int argc, char** argv) {
  int visible = 0;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr)
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') ++visible;
  if (d) ::closedir(d);
  std::printf("proc_pids=%d\n", visible);
  for (int i = 0; i < argc; ++i) {
    std::string name = std::string("kill_host_pid_") + argv[i];
    report(name.c_str(), ::kill(std::atoi(argv[i]), 0));
  }
  std::printf("init_comm=%s", slurp("/proc/1/comm").c_str());
}

void nested_ns_probe(int, char**) {
  report("unshare_user", ::unshare(CLONE_NEWUSER));
  report("unshare_mount", ::unshare(CLONE_NEWNS));
  report("unshare_net", ::unshare(CLONE_NEWNET));
  long rc = sys(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) ::_exit(0);
  report("clone_newuser", rc);
  report("clone3", sys(SYS_clone3, 0, 0));
  int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  report("setns_own_net", ::setns(fd, 0));
  std::printf("max_user_namespaces=%s", slurp("/proc/sys/user/max_user_namespaces").c_str());
}

void mount_probe(int, char**) {
  report("mount_tmpfs", ::mount("none", "/tmp", "tmpfs", 0, nullptr));
  report("umount_usr", ::umount2("/usr", MNT_DETACH));
  report("umount_passwd", ::umount2("/etc/passwd", MNT_DETACH));
  report("remount_usr_rw", ::mount(nullptr, "/usr", nullptr, MS_REMOUNT | MS_BIND, nullptr));
  report("pivot_root",
         sys(SYS_pivot_root, reinterpret_cast<long>("/tmp"), reinterpret_cast<long>("/tmp")));
  report("open_tree", sys(SYS_open_tree, AT_FDCWD, reinterpret_cast<long>("/usr"), 1));
  report("move_mount", sys(SYS_move_mount, AT_FDCWD, reinterpret_cast<long>("/usr"), AT_FDCWD,
                           reinterpret_cast<long>("/tmp"), 0));
  mount_attr attr{};
  attr.attr_clr = MOUNT_ATTR_RDONLY;
  report("mount_setattr_rw", sys(SYS_mount_setattr, AT_FDCWD, reinterpret_cast<long>("/usr"), 0,
                                 reinterpret_cast<long>(&attr), sizeof attr));
}

void kernel_probe(int, char**) {
  report("keyctl", sys(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  report("add_key", sys(SYS_add_key, reinterpret_cast<long>("user"), reinterpret_cast<long>("k"),
                        reinterpret_cast<long>("v"), 1, -3));
  report("request_key",
         sys(SYS_request_key, reinterpret_cast<long>("user"), reinterpret_cast<long>("k"), 0, 0));
  report("bpf", sys(SYS_bpf, 0, 0, 0));
  report("perf_event_open", sys(SYS_perf_event_open, 0, 0, -1, -1, 0));
  report("userfaultfd", sys(SYS_userfaultfd, 0));
  char params[120] = {};
  report("io_uring_setup", sys(SYS_io_uring_setup, 4, reinterpret_cast<long>(params)));
  report("kexec_load", sys(SYS_kexec_load, 0, 0, 0, 0));
  report("init_module", sys(SYS_init_module, 0, 0, reinterpret_cast<long>("")));
  report("finit_module", sys(SYS_finit_module, 0, reinterpret_cast<long>(""), 0));
  report("socket_netlink", ::socket(AF_NETLINK, SOCK_RAW, 0));
  report("socket_packet", ::socket(AF_PACKET, SOCK_RAW, 0));
  report("socket_vsock", ::socket(AF_VSOCK, SOCK_STREAM, 0));
  report("socket_inet_raw", ::socket(AF_INET, SOCK_RAW, 1));
}

void procfs_probe(int, char**) {
  report_open("core_pattern_w", "/proc/sys/kernel/core_pattern", O_WRONLY);
  report_open("sysrq_trigger_w", "/proc/sysrq-trigger", O_WRONLY);
  report_open("drop_caches_w", "/proc/sys/vm/drop_caches", O_WRONLY);
  report_open("kcore_r", "/proc/kcore", O_RDONLY);
  report_open("init_environ_r", "/proc/1/environ", O_RDONLY);
  report_open("init_mem_r", "/proc/1/mem", O_RDONLY);
  // The kernel's knobs are mounted read-only as well (a second layer behind permissions).
  for (const char* knob : {"/proc/sys", "/proc/irq", "/proc/bus"}) {
    struct statvfs vfs;
    std::printf("%s_ro=%d\n", knob, ::statvfs(knob, &vfs) == 0 && (vfs.f_flag & ST_RDONLY));
  }
  struct stat st;
  report("sys_stat", ::stat("/sys/kernel", &st));
  report_open("sys_create", "/sys/cove-probe", O_WRONLY | O_CREAT);
}

void devices_probe(int argc, char** argv) {
  for (const char* dev : {"/dev/kvm", "/dev/mem", "/dev/kmsg", "/dev/loop0", "/dev/fuse",
                          "/dev/vda", "/dev/sda", "/dev/net/tun", "/dev/port"}) {
    std::string name = std::string("open") + dev;
    report_open(name.c_str(), dev, O_RDONLY);
  }
  if (argc > 0) {
    std::string node = std::string(argv[0]) + "/cove-null";
    report("mknod_workspace", ::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)));
    std::string fifo = std::string(argv[0]) + "/cove-fifo";
    report("mkfifo_workspace", ::mkfifo(fifo.c_str(), 0600));
    ::unlink(fifo.c_str());
  }
}

void mounts_probe(int argc, char** argv) {
  // Prints the per-mount options of each path given, from mountinfo.
  std::istringstream info(slurp("/proc/self/mountinfo"));
  std::map<std::string, std::string> opts;
  for (std::string line; std::getline(info, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options;
    f >> id >> parent >> dev >> root >> point >> options;
    opts[point] = options;
  }
  for (int i = 0; i < argc; ++i)
    std::printf("opts%s=%s\n", argv[i], opts[argv[i]].c_str());
}

void identity_probe(int argc, char** argv) {
  report_open("shadow_r", "/etc/shadow", O_RDONLY);
  for (int i = 0; i < argc; ++i) {
    std::string name = std::string("read_") + argv[i];
    report_open(name.c_str(), argv[i], O_RDONLY);
  }
  std::istringstream map(slurp("/proc/self/uid_map"));
  long inside = -1, outside = -1, count = -1;
  map >> inside >> outside >> count;
  std::printf("uid_map=%ld:%ld:%ld\n", inside, outside, count);
  std::printf("uid=%d\neuid=%d\n", ::getuid(), ::geteuid());
  std::string status = slurp("/proc/self/status");
  for (const char* key : {"NoNewPrivs:", "CapEff:", "CapPrm:", "CapBnd:", "CapAmb:", "Seccomp:"}) {
    size_t at = status.find(key);
    if (at == std::string::npos) continue;
    size_t start = status.find_first_not_of(" \t", at + std::strlen(key));
    std::printf("%.*s=%s\n", static_cast<int>(std::strlen(key) - 1), key,
                status.substr(start, status.find('\n', start) - start).c_str());
  }
  std::string groups = status.substr(status.find("Groups:") + 7);
  std::printf("groups=%s\n", groups.substr(0, groups.find('\n')).c_str());
}

void ipc_probe(int argc, char** argv) {
  auto try_connect = [](const char* name, const std::string& path, bool abstract) {
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    size_t offset = abstract ? 1 : 0;
    std::memcpy(addr.sun_path + offset, path.data(), path.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + path.size());
    report(name, ::connect(s, reinterpret_cast<sockaddr*>(&addr), len));
    ::close(s);
  };
  try_connect("docker_sock", "/var/run/docker.sock", false);
  try_connect("dbus_sock", "/run/dbus/system_bus_socket", false);
  if (argc > 0) try_connect("host_path_sock", argv[0], false);
  if (argc > 1) try_connect("host_abstract_sock", argv[1], true);
}

void fds_probe(int, char**) {
  DIR* d = ::opendir("/proc/self/fd");
  std::string fds;
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] == '.' || std::atoi(e->d_name) == ::dirfd(d)) continue;
    fds += fds.empty() ? "" : ",";
    fds += e->d_name;
  }
  if (d) ::closedir(d);
  std::printf("fds=%s\n", fds.c_str());
}

void exe_probe(int, char**) {
  report_open("init_exe_w", "/proc/1/exe", O_WRONLY);
  char buf[256];
  report("init_exe_readlink", ::readlink("/proc/1/exe", buf, sizeof buf));
  report_open("self_exe_rw", "/proc/self/exe", O_RDWR);
  report_open("init_root_r", "/proc/1/root/etc/hostname", O_RDONLY);
}

void tty_probe(int, char**) {
  char c = 'x';
  report("tiocsti", ::ioctl(0, TIOCSTI, &c));
  report("tiocsti_high_bits", sys(SYS_ioctl, 0, (1L << 32) | TIOCSTI, reinterpret_cast<long>(&c)));
  char sub = 0;
  report("tioclinux", ::ioctl(0, TIOCLINUX, &sub));
  report_open("dev_tty", "/dev/tty", O_RDWR);
  std::printf("sid_is_self=%d\n", ::getsid(0) == ::getpid());
}

void abi_probe(int, char**) {
  report_child("int80_getpid", [] { cove::test::ia32_getpid(); });
  report_child("x32_getpid", [] { sys(0x40000000L | SYS_getpid); });
  report("clone3", sys(SYS_clone3, 0, 0));
}

void write_probe(int argc, char** argv) {
  report_open("write_usr", "/usr/cove-probe", O_WRONLY | O_CREAT);
  report_open("write_etc", "/etc/cove-probe", O_WRONLY | O_CREAT);
  report_open("write_etc_passwd", "/etc/passwd", O_WRONLY);
  report_open("write_root", "/cove-probe", O_WRONLY | O_CREAT);
  report_open("write_root_home", "/root/.bashrc", O_WRONLY | O_CREAT);
  report_open("write_tmp", "/tmp/cove-probe", O_WRONLY | O_CREAT);
  for (int i = 0; i < argc; ++i) {
    std::string name = std::string("write_") + argv[i];
    std::string path = std::string(argv[i]) + "/cove-probe";
    report_open(name.c_str(), path.c_str(), O_WRONLY | O_CREAT);
  }
}

void setuid_probe(int argc, char** argv) {
  if (argc < 1) return;
  std::string file = std::string(argv[0]) + "/cove-suid";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd >= 0) ::close(fd);
  report("chmod_suid", ::chmod(file.c_str(), 04755));
  const char cap[] =
      "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
  report("setcap_xattr", ::setxattr(file.c_str(), "security.capability", cap, sizeof cap - 1, 0));
  ::unlink(file.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  static const std::map<std::string, void (*)(int, char**)> groups = {
      {"ptrace", ptrace_probe},   {"pids", pids_probe},     {"nested_ns", nested_ns_probe},
      {"mount", mount_probe},     {"kernel", kernel_probe}, {"procfs", procfs_probe},
      {"devices", devices_probe}, {"mounts", mounts_probe}, {"identity", identity_probe},
      {"ipc", ipc_probe},         {"fds", fds_probe},       {"exe", exe_probe},
      {"tty", tty_probe},         {"abi", abi_probe},       {"write", write_probe},
      {"setuid", setuid_probe},
  };
  auto it = groups.find(argv[1]);
  if (it == groups.end()) {
    std::fprintf(stderr, "probe: unknown group %s\n", argv[1]);
    return 2;
  }
  it->second(argc - 2, argv + 2);
  return 0;
}
