#include "runtime/sessions/session_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <sstream>
#include <system_error>

#include "base/unique_fd.hpp"
#include "runtime/sessions/agent_session.hpp"

namespace cove::sessions {

namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what is there from `fd` into `output`; false at end of file.
bool pump(UniqueFd& fd, int stream, const ExecOutput& output, bool& wanted) {
  char buf[65536];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    fd.reset();
    return false;
  }
  if (wanted && !output(stream, std::string_view(buf, static_cast<std::size_t>(n)))) wanted = false;
  return true;
}

// The copy scripts take the path as $1 (and a file name as $2), never inside the script's
// text. inside() resolves every link and `..` of its argument into $p and refuses a result
// outside /workspace.
constexpr char kInside[] =
    "inside() { p=$(realpath -m -- \"$1\") || exit 2\n"
    "  case \"$p\" in /workspace|/workspace/*) ;; *) echo \"cove: $1 is outside /workspace "
    "(it resolves to $p)\" >&2; exit 3 ;; esac; }\n";

// A command that exits before it has read its input (a refused `cove cp`, `true`) makes the
// write to its stdin fail with EPIPE and raise SIGPIPE, whose default action would end the
// whole daemon. While this lives, SIGPIPE is blocked on this thread (a write's SIGPIPE is
// directed at the writing thread), and one that became pending is discarded.
class NoSigpipeHere {
 public:
  NoSigpipeHere() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipeHere() {
    timespec now{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipeHere(const NoSigpipeHere&) = delete;
  NoSigpipeHere& operator=(const NoSigpipeHere&) = delete;

 private:
  sigset_t pipe_, old_;
};

}  // namespace

std::vector<std::string> copy_out_argv(const std::string& path) {
  std::ostringstream script;
  script << kInside << "inside \"$1\"\n"
         << "[ -f \"$p\" ] || { echo \"cove: $1 is not a regular file\" >&2; exit 3; }\n"
         << "exec cat -- \"$p\"\n";
  return {"/bin/sh", "-c", script.str(), "cove-cp", path};
}

std::vector<std::string> copy_in_argv(const std::string& path, const std::string& name) {
  std::ostringstream script;
  script << kInside << "inside \"$1\"\n"
         << "if [ -d \"$p\" ] && [ -n \"$2\" ]; then inside \"$p/$2\"; fi\n"
         << "[ -d \"$(dirname -- \"$p\")\" ] || { echo \"cove: the directory of $p does not "
            "exist\" >&2; exit 3; }\n"
         << "[ -e \"$p\" ] && [ ! -f \"$p\" ] && { echo \"cove: $p is not a regular file\" >&2; "
            "exit 3; }\n"
         << "cat > \"$p\" && echo \"$p\"\n";
  return {"/bin/sh", "-c", script.str(), "cove-cp", path, name};
}

sandbox::ExitStatus run_in_sandbox(SandboxHold& hold, const ExecRequest& request,
                                   const ExecOutput& output) {
  NoSigpipeHere no_sigpipe;
  Pipe out = make_pipe(), err = make_pipe(), in = make_pipe();
  sandbox::SpawnRequest spawn;
  spawn.argv = request.argv;
  spawn.env = hold.env;
  spawn.cwd = hold.cwd;
  spawn.stdin_fd = in.read.get();
  spawn.stdout_fd = out.write.get();
  spawn.stderr_fd = err.write.get();
  auto command = hold.sandbox.spawn(spawn);
  out.write.reset();
  err.write.reset();
  in.read.reset();
  ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (request.input.empty()) in.write.reset();
  bool wanted = true;
  bool killed = false;
  while (out.read || err.read) {
    if (!killed && (!wanted || hold.stop.stop_requested())) {
      hold.sandbox.signal(command, SIGKILL);
      killed = true;
    }
    pollfd fds[3] = {
        {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {in.write.get(), POLLOUT, 0}};
    if (::poll(fds, 3, 200) < 0 && errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "poll");
    if (fds[0].revents) pump(out.read, 1, output, wanted);
    if (fds[1].revents) pump(err.read, 2, output, wanted);
    if (fds[2].revents) {
      ssize_t n =
          ::write(in.write.get(), request.input.data() + written, request.input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) in.write.reset();  // it stopped reading
      if (written == request.input.size()) in.write.reset();
    }
  }
  in.write.reset();
  return hold.sandbox.wait(command);
}

}  // namespace cove::sessions
