// One command: fork from init, shed everything the command must not have, exec.
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "sandbox/init/init.hpp"
#include "sandbox/seccomp_install.hpp"

namespace cove::sandbox::init {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string search_path(const std::vector<std::string>& env) {
  for (const auto& e : env)
    if (e.compare(0, 5, "PATH=") == 0) return e.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

// execve, searching the command's own PATH (not init's) when argv[0] has no '/'.
[[noreturn]] void exec_in_path(const wire::Spawn& req) {
  auto argv = c_strings(req.argv);
  auto envp = c_strings(req.env);
  const std::string& file = req.argv[0];
  if (file.find('/') != std::string::npos) {
    ::execve(file.c_str(), argv.data(), envp.data());
    fail("exec " + file, errno);
  }
  int err = ENOENT;
  std::string dirs = search_path(req.env);
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    ::execve(candidate.c_str(), argv.data(), envp.data());
    if (errno == EACCES)
      err = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR)
      fail("exec " + file, errno);
    start = end + 1;
  }
  fail("exec " + file, err);
}

// The child side, in order. Everything before exec runs as init's child in the sandbox's
// namespaces; the order matters: privileges go before no_new_privs, the filter last.
[[noreturn]] void become_command(const wire::Spawn& req, const SpawnContext& ctx) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    ::signal(sig, SIG_DFL);
  ::umask(022);  // init builds the root with umask 0
  if (::setsid() < 0) fail("setsid", errno);
  for (int i = 0; i < 3; ++i)
    if (ctx.stdio[i] >= 0 && ::dup2(ctx.stdio[i], i) < 0) fail("dup2 stdio", errno);
  if ((req.flags & wire::kControllingTty) && ::ioctl(0, TIOCSCTTY, 0) != 0)
    fail("make stdin the controlling terminal", errno);
  apply_rlimits(ctx.setup->rlimits);
  drop_privileges(ctx.setup->uid, ctx.setup->gid, ctx.setup->clear_groups != 0);
  if (::chdir(req.cwd.c_str()) != 0) fail("chdir " + req.cwd, errno);
  // Nothing but stdio (and the error pipe, until exec) may cross into the command.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail("close_range", errno);
  if (int err = seccomp::install(ctx.setup->seccomp_bpf)) fail("seccomp: install filter", err);
  if (ctx.exec_fd >= 0) {
    // Close-on-exec since close_range above; fine for a program that needs no interpreter.
    auto argv = c_strings(req.argv);
    auto envp = c_strings(req.env);
    ::syscall(SYS_execveat, ctx.exec_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    fail("exec " + req.argv[0], errno);
  }
  exec_in_path(req);
}

}  // namespace

int spawn(const wire::Spawn& req, const SpawnContext& ctx) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail("spawn: pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    fail("spawn: fork", e);
  }
  if (pid == 0) {
    ::close(err_pipe[0]);
    std::string report;
    try {
      become_command(req, ctx);
    } catch (const Failure& f) {
      // errno first, as a fixed-width word, then the text.
      report.assign(reinterpret_cast<const char*>(&f.error), sizeof f.error);
      report += f.message;
    } catch (const std::exception& e) {
      int err = 0;
      report.assign(reinterpret_cast<const char*>(&err), sizeof err);
      report += std::string("spawn: ") + e.what();
    }
    ssize_t ignored = ::write(err_pipe[1], report.data(), report.size());
    (void)ignored;
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  // EOF without data means exec succeeded (the pipe was close-on-exec).
  std::string message;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
    if (n > 0) {
      message.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(err_pipe[0]);
  if (!message.empty()) {
    ::waitpid(pid, nullptr, 0);
    int err = 0;
    if (message.size() >= sizeof err) std::memcpy(&err, message.data(), sizeof err);
    throw Failure{message.size() > sizeof err ? message.substr(sizeof err) : "spawn failed", err};
  }
  return pid;
}

}  // namespace cove::sandbox::init
