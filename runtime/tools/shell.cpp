// The bash tool: one persistent bash per session inside the sandbox.
//
// The shell runs a small read-eval loop (kLoop). Its stdin is a socket, and each call sends
// two NUL-terminated fields on it: a call number and the command. The loop evals the command
// with stdin from /dev/null (a command that reads input finishes instead of eating the next
// call), then writes "<call number> <$?>\n" back on the same socket.
//
// The status never passes through the output (stdout and stderr share a pipe), so nothing a
// command prints can end a call. The processes a command starts do not get the socket: while
// the command runs, bash keeps it at a close-on-exec fd, and a socket cannot be reopened
// through /proc/<pid>/fd. Nor can they reach the shell through /proc/<pid>/mem: bash runs
// from an execute-only copy (a sealed memfd, mode 0111), and the kernel makes a process
// that runs a program its user may not read non-dumpable, so same-uid processes get EPERM
// on its /proc files. Code
// running in the shell process itself (the command's own text, files it sources) has the
// shell's powers and could write there on purpose; the call number turns a simple forgery
// into a protocol error by the next call. docs/tools.md says what is guaranteed.
//
// eval keeps `cd`, `export` and functions in the shell and turns a syntax error into an
// ordinary failed command; bash's top-level parser never sees the command (after some eval
// syntax errors, bash 5.2 misparses or even crashes on its next top-level input line).
// On timeout or interruption the shell's process group (the shell and everything it
// started that stayed in its group) is killed, and the next call starts a new shell.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <span>
#include <thread>

#include "runtime/tools/text.hpp"
#include "runtime/tools/tools.hpp"
#include "sandbox/init_image.hpp"

namespace cove::tools {
namespace {

using Clock = std::chrono::steady_clock;

// How long a killed shell may take to be reported gone before we stop waiting for it.
constexpr auto kKillGrace = std::chrono::seconds(5);
// The longest timeout_ms a call may ask for.
constexpr std::chrono::milliseconds kMaxTimeout{600'000};

// The shell's whole program. The one-pass for loop around eval keeps a stray `break` or
// `continue` in a command from leaving the read loop; `builtin` keeps functions a command
// defines (say, its own printf) out of the protocol, and a function named `builtin` itself is
// removed after each command (in POSIX mode, where `unset` cannot be a function). If the
// status cannot be written (the command closed the socket's fd or disabled printf), the loop
// ends and so does the shell: the call reports that rather than waiting for its timeout.
constexpr const char* kLoop =
    "while IFS= builtin read -r -d '' __cove_call && "
    "IFS= builtin read -r -d '' __cove_command; do "
    "{ for __cove_once in 1; do builtin eval \"$__cove_command\"; done; } </dev/null; "
    "__cove_status=$?; "
    "if [[ -o posix ]]; then unset -f builtin; "
    "else POSIXLY_CORRECT=y; unset -f builtin; unset POSIXLY_CORRECT; fi; "
    "builtin printf '%s %d\\n' \"$__cove_call\" \"$__cove_status\" >&0 || builtin break; "
    "done";

void signal_eventfd(int fd) {
  uint64_t one = 1;
  ssize_t ignored = ::write(fd, &one, sizeof one);
  (void)ignored;
}

void drain_eventfd(int fd) {
  uint64_t value;
  ssize_t ignored = ::read(fd, &value, sizeof value);
  (void)ignored;
}

UniqueFd make_eventfd() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) sandbox::throw_errno("bash", "eventfd", errno);
  return UniqueFd(fd);
}

std::string describe_exit(const sandbox::ExitStatus& st) {
  if (st.signal) return "was killed by signal " + std::to_string(st.signal);
  if (st.code < 0) return "is gone (the sandbox ended)";
  return "exited with code " + std::to_string(st.code);
}

// Reads `timeout_ms`: whole milliseconds up to kMaxTimeout; 0 or absent: the default.
std::chrono::milliseconds parse_timeout(const json& input, std::chrono::milliseconds fallback) {
  if (!input.contains("timeout_ms") || input["timeout_ms"].is_null()) return fallback;
  const json& v = input["timeout_ms"];
  double ms = v.is_number() ? v.get<double>() : -1;
  // Written so that NaN fails too.
  if (!(ms >= 0 && ms <= static_cast<double>(kMaxTimeout.count()) && ms == std::floor(ms)))
    throw std::invalid_argument(
        "timeout_ms must be a number of milliseconds, a whole number from 0 to " +
        std::to_string(kMaxTimeout.count()) + " (10 minutes); 0 means the default; got " +
        (v.is_number() ? v.dump() : std::string("a ") + v.type_name()));
  return ms == 0 ? fallback : std::chrono::milliseconds(static_cast<int64_t>(ms));
}

// One shell process and the fds to talk to it.
struct Instance {
  sandbox::Sandbox& box;
  sandbox::Sandbox::Command cmd;
  UniqueFd socket;  // our end of the shell's stdin: commands out, status lines back
  UniqueFd output;  // read end of the shell's stdout+stderr, non-blocking
  UniqueFd exited;  // eventfd the waiter signals when the shell has ended
  std::thread waiter;
  std::mutex mu;
  std::optional<sandbox::ExitStatus> status;  // set by the waiter
  uint64_t calls = 0;                         // commands sent so far

  explicit Instance(sandbox::Sandbox& b) : box(b), exited(make_eventfd()) {}

  ~Instance() {
    kill();
    if (waiter.joinable()) waiter.join();
  }

  void kill() {
    if (!ended()) box.signal(cmd, SIGKILL);
  }

  bool ended() {
    std::lock_guard lock(mu);
    return status.has_value();
  }

  sandbox::ExitStatus exit_status() {
    std::lock_guard lock(mu);
    return status.value_or(sandbox::ExitStatus{});
  }

  // Whether the socket holds data no call asked for (a status line written out of turn).
  bool unasked_status() {
    char c;
    return ::recv(socket.get(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
};

// bash as an execute-only program: a sealed memfd copy of the host's bash with mode 0111.
// The sandbox user may run it but not read it, so the kernel makes the shell non-dumpable
// and the commands it starts (same uid) cannot open its /proc/<pid>/mem, fd or environ.
int bash_image_fd() {
  static const int fd = [] {
    std::string image;
    for (const char* path : {"/usr/bin/bash", "/bin/bash"}) {
      UniqueFd file(::open(path, O_RDONLY | O_CLOEXEC));
      if (!file) continue;
      char buf[64 * 1024];
      for (ssize_t n; (n = ::read(file.get(), buf, sizeof buf)) > 0;)
        image.append(buf, static_cast<size_t>(n));
      break;
    }
    if (image.empty()) sandbox::throw_errno("bash", "read the host's bash", errno ? errno : ENOENT);
    int image_fd = sandbox::sealed_program("bash", image);
    if (::fchmod(image_fd, 0111) != 0) sandbox::throw_errno("bash", "chmod bash image", errno);
    return image_fd;
  }();
  return fd;
}

std::unique_ptr<Instance> start_instance(sandbox::Sandbox& box, const std::vector<std::string>& env,
                                         const std::string& cwd) {
  int sock[2], pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0)
    sandbox::throw_errno("bash", "socketpair", errno);
  UniqueFd ours(sock[0]), theirs(sock[1]);
  if (::pipe2(pipe, O_CLOEXEC) != 0) sandbox::throw_errno("bash", "pipe2", errno);
  UniqueFd out_read(pipe[0]), out_write(pipe[1]);
  if (::fcntl(out_read.get(), F_SETFL, O_NONBLOCK) != 0)
    sandbox::throw_errno("bash", "fcntl O_NONBLOCK", errno);

  auto inst = std::make_unique<Instance>(box);
  sandbox::SpawnRequest req;
  req.argv = {"bash", "--noprofile", "--norc", "-c", kLoop};
  req.exec_fd = bash_image_fd();
  req.env = env;
  req.cwd = cwd;
  req.stdin_fd = theirs.get();
  req.stdout_fd = out_write.get();
  req.stderr_fd = out_write.get();
  // When the shell ends, init kills what is left of its process group.
  req.keep_group = false;
  inst->cmd = box.spawn(req);
  inst->socket = std::move(ours);
  inst->output = std::move(out_read);
  inst->waiter = std::thread([i = inst.get()] {
    sandbox::ExitStatus st;
    try {
      st = i->box.wait(i->cmd);
    } catch (const sandbox::SandboxError&) {
      // The sandbox's init is gone: so is the shell.
    }
    {
      std::lock_guard lock(i->mu);
      i->status = st;
    }
    signal_eventfd(i->exited.get());
  });
  return inst;
}

// The loop's answer to one call, "<call number> <status>\n", as it arrives on the socket.
// Anything else (another call's number, a second line, more than kMaxBytes) is a protocol
// error: something other than the loop wrote on the socket.
class StatusLine {
 public:
  static constexpr std::size_t kMaxBytes = 64;
  enum class State { kIncomplete, kComplete, kInvalid };

  explicit StatusLine(uint64_t call) : call_(call) {}

  // Where the next bytes go; empty once kMaxBytes have arrived.
  std::span<char> space() { return {buf_ + len_, kMaxBytes - len_}; }

  // Takes n bytes just read into space().
  State received(std::size_t n) {
    len_ += n;
    std::string_view line(buf_, len_);
    std::size_t nl = line.find('\n');
    if (nl == std::string_view::npos)
      return len_ < kMaxBytes
                 ? State::kIncomplete
                 : invalid("no end of line in " + std::to_string(kMaxBytes) + " bytes");
    if (nl + 1 != len_) return invalid("more than one line");
    uint64_t call = 0;
    auto [after_call, ec1] = std::from_chars(line.data(), line.data() + nl, call);
    if (ec1 != std::errc() || after_call == line.data() + nl || *after_call != ' ')
      return invalid("not a status line");
    auto [end, ec2] = std::from_chars(after_call + 1, line.data() + nl, code_);
    if (ec2 != std::errc() || end != line.data() + nl || code_ < 0 || code_ > 255)
      return invalid("not a status line");
    if (call != call_)
      return invalid("the status of call " + std::to_string(call) + " during call " +
                     std::to_string(call_));
    return State::kComplete;
  }

  // Marks the line invalid from outside (say, it came before the command was sent).
  State invalid(std::string problem) {
    problem_ = std::move(problem);
    return State::kInvalid;
  }

  int code() const { return code_; }
  const std::string& problem() const { return problem_; }

 private:
  uint64_t call_;
  char buf_[kMaxBytes];
  std::size_t len_ = 0;
  int code_ = 0;
  std::string problem_;
};

enum class Outcome { kDone, kExited, kTimedOut, kInterrupted, kBroken };

}  // namespace

struct Shell::Impl {
  sandbox::Sandbox& box;
  std::vector<std::string> env;
  std::string cwd;
  ToolLimits limits;
  std::mutex mu;  // one call at a time
  std::unique_ptr<Instance> shell;
  UniqueFd wake = make_eventfd();  // signalled by the stop token

  Impl(sandbox::Sandbox& b, std::vector<std::string> e, std::string c, ToolLimits l)
      : box(b), env(std::move(e)), cwd(std::move(c)), limits(l) {}

  void ensure_started() {
    if (!shell) shell = start_instance(box, env, cwd);
  }

  // Kills the shell and waits (a bounded time) until it is reported gone.
  void discard() {
    if (!shell) return;
    shell->kill();
    pollfd p{shell->exited.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kKillGrace).count()));
    if (shell->ended()) {
      shell.reset();  // joins the waiter
    } else {
      // Not reported within the grace period: let the waiter finish on its own.
      shell->waiter.detach();
      (void)shell.release();  // leaked on purpose: the detached waiter still uses it
    }
  }

  // Reads what the output pipe holds now. When the status has arrived, that includes all
  // the command's own output (its writes completed before bash wrote the status). Bounded:
  // a background process may keep writing; 16 MiB is more than a pipe can hold.
  void drain(text::HeadAndTail& out) {
    char buf[65536];
    for (int reads = 0; reads < 256; ++reads) {
      ssize_t n = ::read(shell->output.get(), buf, sizeof buf);
      if (n > 0) {
        out.append({buf, static_cast<std::size_t>(n)});
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return;
    }
  }

  // Reads from the socket into `status`. Returns false once the socket is closed.
  bool read_status(StatusLine& status, StatusLine::State& state) {
    std::span<char> space = status.space();
    ssize_t n = ::recv(shell->socket.get(), space.data(), space.size(), MSG_DONTWAIT);
    if (n > 0) state = status.received(static_cast<std::size_t>(n));
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
  }

  Outcome execute(std::string_view unsent, std::chrono::milliseconds timeout,
                  const std::stop_token& stop, text::HeadAndTail& out, StatusLine& status) {
    auto deadline = Clock::now() + timeout;
    bool output_open = true, socket_open = true;
    auto state = StatusLine::State::kIncomplete;
    char buf[65536];
    for (;;) {
      // A closed pipe or socket would report POLLHUP at once, every time: leave it out.
      short socket_events =
          static_cast<short>((socket_open ? POLLIN : 0) | (unsent.empty() ? 0 : POLLOUT));
      pollfd fds[4] = {{output_open ? shell->output.get() : -1, POLLIN, 0},
                       {socket_events ? shell->socket.get() : -1, socket_events, 0},
                       {shell->exited.get(), POLLIN, 0},
                       {wake.get(), POLLIN, 0}};
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      int rc = ::poll(fds, 4, static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60000)));
      if (rc < 0 && errno != EINTR) sandbox::throw_errno("bash", "poll", errno);
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(shell->output.get(), buf, sizeof buf);
        if (n > 0) out.append({buf, static_cast<std::size_t>(n)});
        if (n == 0) output_open = false;  // everyone holding the pipe is gone
      }
      if (!unsent.empty() && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n =
            ::send(shell->socket.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
        if (n < 0 && errno == EPIPE) unsent = {};  // the shell is gone; the waiter will say
      }
      if (socket_open && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)))
        socket_open = read_status(status, state);
      // A status read just before the shell ended still counts.
      if ((fds[2].revents & POLLIN) && socket_open && state == StatusLine::State::kIncomplete)
        socket_open = read_status(status, state);
      if (state == StatusLine::State::kComplete && !unsent.empty())
        state = status.invalid("a status before the whole command was sent");
      if (state != StatusLine::State::kIncomplete) {
        drain(out);
        return state == StatusLine::State::kComplete ? Outcome::kDone : Outcome::kBroken;
      }
      if (fds[2].revents & POLLIN) {
        drain(out);
        return Outcome::kExited;
      }
      if (stop.stop_requested()) return Outcome::kInterrupted;
      if (Clock::now() >= deadline) return Outcome::kTimedOut;
    }
  }

  ToolOutput run(const json& input, const std::stop_token& stop) {
    std::optional<std::string> command;
    bool restart = false;
    std::chrono::milliseconds timeout;
    try {
      if (!input.is_object()) throw std::invalid_argument("the input must be an object");
      if (input.contains("command") && !input["command"].is_null()) {
        if (!input["command"].is_string()) throw std::invalid_argument("command must be a string");
        command = input["command"].get<std::string>();
      }
      if (input.contains("restart") && !input["restart"].is_null()) {
        if (!input["restart"].is_boolean())
          throw std::invalid_argument("restart must be true or false");
        restart = input["restart"].get<bool>();
      }
      timeout = parse_timeout(input, limits.default_timeout);
      if (!command && !restart)
        throw std::invalid_argument("command is required (or restart: true to reset the shell)");
      if (command && command->find('\0') != std::string::npos)
        throw std::invalid_argument("command contains a NUL character, which bash cannot run");
    } catch (const std::exception& e) {
      return ToolOutput::text(e.what(), true);
    }

    std::lock_guard lock(mu);
    std::string notes;  // said before the output
    try {
      if (restart) {
        discard();
        ensure_started();
        if (!command) return ToolOutput::text("shell restarted");
        notes += "[shell restarted]\n";
      }
      if (shell && shell->ended()) {
        notes += "[the previous shell " + describe_exit(shell->exit_status()) +
                 "; this command runs in a new shell: cwd and environment are reset]\n";
        discard();
      }
      if (shell && shell->unasked_status()) {
        notes +=
            "[the previous shell wrote a status nobody asked for (something in the shell wrote "
            "on its status channel), so it was killed; this command runs in a new shell: cwd "
            "and environment are reset]\n";
        discard();
      }
      ensure_started();
    } catch (const sandbox::SandboxError& e) {
      return ToolOutput::text(notes + "could not start the shell: " + e.what(), true);
    }

    if (stop.stop_requested()) return ToolOutput::text(notes + "[interrupted]", true);
    drain_eventfd(wake.get());
    std::stop_callback on_stop(stop, [this] { signal_eventfd(wake.get()); });

    uint64_t call = ++shell->calls;
    std::string request = std::to_string(call) + '\0' + *command + '\0';
    text::HeadAndTail output(limits.max_output_bytes);
    StatusLine status(call);
    Outcome outcome;
    try {
      outcome = execute(request, timeout, stop, output, status);
    } catch (const sandbox::SandboxError& e) {
      discard();
      return ToolOutput::text(notes + "bash failed: " + e.what(), true);
    }
    return finish(outcome, notes, output, status, timeout);
  }

  ToolOutput finish(Outcome outcome, const std::string& notes, const text::HeadAndTail& output,
                    const StatusLine& status, std::chrono::milliseconds timeout) {
    std::string text = notes + output.str();
    auto note = [&](const std::string& line) {
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += "[" + line + "]";
    };
    switch (outcome) {
      case Outcome::kDone:
        if (status.code() == 0) return ToolOutput::text(std::move(text));
        note("exit code " + std::to_string(status.code()));
        return ToolOutput::text(std::move(text), true);
      case Outcome::kExited: {
        sandbox::ExitStatus st = shell->exit_status();
        discard();
        note("the shell " + describe_exit(st) +
             "; the next command starts a new shell: cwd and environment are reset");
        return ToolOutput::text(std::move(text), st.signal != 0 || st.code != 0);
      }
      case Outcome::kBroken:
        discard();
        note("the shell's status channel carried something other than this command's status (" +
             status.problem() +
             "): something in the shell wrote on it, so the status is unknown; the shell was "
             "killed and the next command starts a new shell: cwd and environment are reset");
        return ToolOutput::text(std::move(text), true);
      case Outcome::kTimedOut:
      case Outcome::kInterrupted: {
        discard();
        std::string what =
            outcome == Outcome::kTimedOut
                ? "command timed out after " + std::to_string(timeout.count()) + " ms"
                : "interrupted";
        note(what +
             "; its processes were killed and the shell restarted: cwd and environment are "
             "reset");
        return ToolOutput::text(std::move(text), true);
      }
    }
    return ToolOutput::text(std::move(text), true);
  }
};

Shell::Shell(sandbox::Sandbox& sandbox, std::vector<std::string> env, std::string cwd,
             ToolLimits limits)
    : impl_(std::make_unique<Impl>(sandbox, std::move(env), std::move(cwd), limits)) {}

Shell::~Shell() {
  std::lock_guard lock(impl_->mu);
  impl_->discard();
}

ToolOutput Shell::run(const json& input, std::stop_token stop) {
  return impl_->run(input, stop);
}

void Shell::start() {
  std::lock_guard lock(impl_->mu);
  impl_->ensure_started();
}

}  // namespace cove::tools
