// The bash tool: one persistent bash per session inside the sandbox.
//
// The shell runs a small read-eval loop (kLoop) and gets each call as two NUL-terminated
// fields on its stdin (a socket): a marker, fresh for every call so no output can fake it,
// and the command. It evals the command with stdin from /dev/null (a command that reads
// input finishes instead of eating the next call), then prints the marker and "$?". We read
// the output (stdout and stderr share a pipe) up to the marker. eval keeps `cd`, `export`
// and functions in the shell and turns a syntax error into an ordinary failed command;
// bash's top-level parser never sees the command (after some eval syntax errors, bash 5.2
// misparses or even crashes on its next top-level input line).
// On timeout or interruption the shell's process group (the shell and everything it
// started that stayed in its group) is killed, and the next call starts a new shell.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "runtime/tools/text.hpp"
#include "runtime/tools/tools.hpp"

namespace cove::tools {
namespace {

using Clock = std::chrono::steady_clock;
using sandbox::UniqueFd;

// How long a killed shell may take to be reported gone before we stop waiting for it.
constexpr auto kKillGrace = std::chrono::seconds(5);
// The longest timeout_ms a call may ask for.
constexpr std::chrono::milliseconds kMaxTimeout{600'000};

// The shell's whole program. The one-pass for loop around eval keeps a stray `break` or
// `continue` in a command from leaving the read loop; `builtin` keeps functions a command
// defines (say, its own printf) out of the protocol.
constexpr const char* kLoop =
    "while IFS= builtin read -r -d '' __cove_marker && "
    "IFS= builtin read -r -d '' __cove_command; do "
    "{ for __cove_once in 1; do builtin eval \"$__cove_command\"; done; } </dev/null; "
    "builtin printf '%s%d\\n' \"$__cove_marker\" \"$?\"; "
    "done";

std::string make_nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

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
  UniqueFd input;   // our end of the shell's stdin (a socket: send() never raises SIGPIPE)
  UniqueFd output;  // read end of the shell's stdout+stderr, non-blocking
  UniqueFd exited;  // eventfd the waiter signals when the shell has ended
  std::thread waiter;
  std::mutex mu;
  std::optional<sandbox::ExitStatus> status;  // set by the waiter
  std::string carry;  // output read after the last marker (from background jobs)

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
};

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
  req.env = env;
  req.cwd = cwd;
  req.stdin_fd = theirs.get();
  req.stdout_fd = out_write.get();
  req.stderr_fd = out_write.get();
  // When the shell ends, init kills what is left of its process group.
  req.keep_group = false;
  inst->cmd = box.spawn(req);
  inst->input = std::move(ours);
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

// Finds the end-of-command marker in the output stream; everything before it goes to `out`.
class MarkerScanner {
 public:
  MarkerScanner(std::string prefix, text::HeadAndTail& out)
      : prefix_(std::move(prefix)), out_(out) {}

  // Returns true once the marker is complete; then code() is the command's status and
  // rest() what followed the marker.
  bool feed(std::string_view data) {
    pending_.append(data);
    std::size_t pos = pending_.find(prefix_);
    if (pos != std::string::npos) {
      std::size_t nl = pending_.find('\n', pos + prefix_.size());
      out_.append(std::string_view(pending_).substr(0, pos));
      pending_.erase(0, pos);
      if (nl == std::string::npos) return false;
      nl -= pos;
      code_ = std::atoi(pending_.c_str() + prefix_.size());
      rest_ = pending_.substr(nl + 1);
      return true;
    }
    // Keep a tail that could be the start of the marker.
    std::size_t keep = std::min(pending_.size(), prefix_.size() - 1);
    out_.append(std::string_view(pending_).substr(0, pending_.size() - keep));
    pending_.erase(0, pending_.size() - keep);
    return false;
  }

  // Output held back as a possible marker start, when the stream ends without a marker.
  void flush() {
    out_.append(pending_);
    pending_.clear();
  }

  int code() const { return code_; }
  const std::string& rest() const { return rest_; }

 private:
  std::string prefix_;
  text::HeadAndTail& out_;
  std::string pending_;
  int code_ = 0;
  std::string rest_;
};

enum class Outcome { kDone, kExited, kTimedOut, kInterrupted };

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

  // Reads what is available now from the output pipe (bounded: a process that outlived the
  // shell may still be writing).
  void drain(MarkerScanner& scan) {
    char buf[65536];
    for (int reads = 0; reads < 256; ++reads) {
      ssize_t n = ::read(shell->output.get(), buf, sizeof buf);
      if (n > 0) {
        if (scan.feed({buf, static_cast<std::size_t>(n)})) return;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return;
    }
  }

  Outcome execute(const std::string& script, std::chrono::milliseconds timeout,
                  const std::stop_token& stop, MarkerScanner& scan) {
    auto deadline = Clock::now() + timeout;
    std::string_view unsent = script;
    bool output_open = true;
    char buf[65536];
    for (;;) {
      pollfd fds[4] = {{shell->output.get(), static_cast<short>(output_open ? POLLIN : 0), 0},
                       {shell->exited.get(), POLLIN, 0},
                       {wake.get(), POLLIN, 0},
                       {shell->input.get(), static_cast<short>(unsent.empty() ? 0 : POLLOUT), 0}};
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      int rc = ::poll(fds, 4, static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60000)));
      if (rc < 0 && errno != EINTR) sandbox::throw_errno("bash", "poll", errno);
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(shell->output.get(), buf, sizeof buf);
        if (n > 0 && scan.feed({buf, static_cast<std::size_t>(n)})) return Outcome::kDone;
        if (n == 0) output_open = false;  // everyone holding the pipe is gone
      }
      if (fds[3].revents & (POLLOUT | POLLERR | POLLHUP)) {
        ssize_t n =
            ::send(shell->input.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
        if (n < 0 && errno == EPIPE) unsent = {};  // the shell is gone; the waiter will say
      }
      if (fds[1].revents & POLLIN) {
        drain(scan);
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
      ensure_started();
    } catch (const sandbox::SandboxError& e) {
      return ToolOutput::text(notes + "could not start the shell: " + e.what(), true);
    }

    if (stop.stop_requested()) return ToolOutput::text(notes + "[interrupted]", true);
    drain_eventfd(wake.get());
    std::stop_callback on_stop(stop, [this] { signal_eventfd(wake.get()); });

    std::string nonce = make_nonce();
    std::string prefix = "__cove_" + nonce + "_status=";
    std::string script = prefix + '\0' + *command + '\0';
    text::HeadAndTail output(limits.max_output_bytes);
    output.append(std::exchange(shell->carry, {}));
    MarkerScanner scan(prefix, output);
    Outcome outcome;
    try {
      outcome = execute(script, timeout, stop, scan);
    } catch (const sandbox::SandboxError& e) {
      discard();
      return ToolOutput::text(notes + "bash failed: " + e.what(), true);
    }
    if (outcome != Outcome::kDone) scan.flush();
    return finish(outcome, notes, output, scan, timeout);
  }

  ToolOutput finish(Outcome outcome, const std::string& notes, text::HeadAndTail& output,
                    MarkerScanner& scan, std::chrono::milliseconds timeout) {
    std::string text = notes + output.str();
    auto note = [&](const std::string& line) {
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += "[" + line + "]";
    };
    switch (outcome) {
      case Outcome::kDone:
        shell->carry = scan.rest();
        if (scan.code() == 0) return ToolOutput::text(std::move(text));
        note("exit code " + std::to_string(scan.code()));
        return ToolOutput::text(std::move(text), true);
      case Outcome::kExited: {
        sandbox::ExitStatus st = shell->exit_status();
        discard();
        note("the shell " + describe_exit(st) +
             "; the next command starts a new shell: cwd and environment are reset");
        return ToolOutput::text(std::move(text), st.signal != 0 || st.code != 0);
      }
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
