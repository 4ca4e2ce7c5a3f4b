// `cove sandbox run` and `cove sandbox shell`: one command (or an interactive shell) in a
// fresh sandbox, with stdio passed through and the exit status propagated.
#include "sandbox/sandbox.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "runtime/cli/cli.hpp"
#include "runtime/cli/size.hpp"
#include "runtime/cli/suggest.hpp"

namespace cove::cli {
namespace {

namespace sb = cove::sandbox;

// Exit codes of the tool itself, as env(1) and container runtimes use them.
constexpr int kSandboxFailed = 125;
constexpr int kCannotExecute = 126;
constexpr int kNotFound = 127;

struct Options {
  std::vector<std::string> binds;
  std::string memory;
  std::string tmp_size;
  uint32_t pids = 0;
  double cpus = 0;
  std::string hostname = "cove";
  std::string workdir;
  std::vector<std::string> env;
  std::vector<std::string> command;
};

void add_options(CLI::App* cmd, Options& o) {
  // Repeatable options take one value per occurrence, so they never swallow the command.
  cmd->add_option("--bind", o.binds, "Bind SRC into the sandbox at DST (SRC:DST[:ro])")
      ->type_name("SRC:DST[:ro]")
      ->allow_extra_args(false);
  cmd->add_option("--memory", o.memory, "Memory limit, swap excluded (default 2G)")
      ->type_name("SIZE");
  cmd->add_option("--pids", o.pids, "Maximum number of processes (default 1024)");
  cmd->add_option("--cpus", o.cpus, "CPU bandwidth in cores (default: all)");
  cmd->add_option("--tmp-size", o.tmp_size, "Size of /tmp and /dev/shm (default 512M)")
      ->type_name("SIZE");
  cmd->add_option("--hostname", o.hostname, "Hostname inside the sandbox");
  cmd->add_option("--workdir", o.workdir,
                  "Working directory (default: the first bind's target, else /tmp)");
  cmd->add_option("--env", o.env, "Set K=V, or pass K through from this environment")
      ->type_name("K[=V]")
      ->allow_extra_args(false);
}

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "cove: %s\n", msg.c_str());
  std::exit(2);
}

sb::Bind parse_bind(const std::string& spec) {
  std::string src = spec, dst, mode;
  size_t colon = spec.find(':');
  if (colon == std::string::npos) usage_error("--bind " + spec + ": expected SRC:DST[:ro]");
  src = spec.substr(0, colon);
  dst = spec.substr(colon + 1);
  if (size_t c2 = dst.find(':'); c2 != std::string::npos) {
    mode = dst.substr(c2 + 1);
    dst = dst.substr(0, c2);
  }
  if (!mode.empty() && mode != "ro" && mode != "rw")
    usage_error("--bind " + spec + ": mode must be ro or rw");
  char resolved[PATH_MAX];
  if (!::realpath(src.c_str(), resolved))
    usage_error("--bind " + spec + ": " + src + ": " + std::strerror(errno));
  return sb::Bind{resolved, dst, mode == "ro"};
}

sb::SandboxSpec make_spec(const Options& o) {
  sb::SandboxSpec spec;
  spec.hostname = o.hostname;
  for (const auto& b : o.binds)
    spec.binds.push_back(parse_bind(b));
  if (!o.memory.empty()) {
    auto bytes = parse_size(o.memory);
    if (!bytes) usage_error("--memory " + o.memory + ": expected a size such as 512M or 2G");
    spec.limits.memory_bytes = *bytes;
  }
  if (!o.tmp_size.empty()) {
    auto bytes = parse_size(o.tmp_size);
    if (!bytes) usage_error("--tmp-size " + o.tmp_size + ": expected a size such as 512M");
    spec.limits.tmp_bytes = *bytes;
  }
  if (o.pids) spec.limits.pids = o.pids;
  if (o.cpus < 0) usage_error("--cpus must be positive");
  spec.limits.cpus = o.cpus;
  return spec;
}

std::vector<std::string> make_env(const Options& o, const sb::SandboxSpec& spec) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"HOME", spec.identity.home},
      {"USER", spec.identity.user_name},
      {"LOGNAME", spec.identity.user_name},
      {"LANG", "C.UTF-8"},
  };
  if (const char* term = std::getenv("TERM")) env.emplace_back("TERM", term);
  for (const auto& kv : o.env) {
    size_t eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (key.empty()) usage_error("--env " + kv + ": expected K=V or K");
    std::string value;
    if (eq != std::string::npos) {
      value = kv.substr(eq + 1);
    } else if (const char* host = std::getenv(key.c_str())) {
      value = host;
    } else {
      continue;
    }
    auto it = std::find_if(env.begin(), env.end(), [&](auto& e) { return e.first == key; });
    if (it != env.end())
      it->second = value;
    else
      env.emplace_back(key, value);
  }
  std::vector<std::string> out;
  for (auto& [k, v] : env)
    out.push_back(k + "=" + v);
  return out;
}

std::string workdir_for(const Options& o, const sb::SandboxSpec& spec) {
  if (!o.workdir.empty()) return o.workdir;
  return spec.binds.empty() ? spec.identity.home : spec.binds.front().target;
}

// The command of `o` with its environment and working directory; stdio is the caller's.
sb::SpawnRequest request_for(const Options& o, const sb::SandboxSpec& spec) {
  sb::SpawnRequest req;
  req.argv = o.command;
  req.env = make_env(o, spec);
  req.cwd = workdir_for(o, spec);
  return req;
}

int spawn_failure_code(const sb::SpawnError& e) {
  std::fprintf(stderr, "cove: %s\n", e.what());
  return e.error() == EACCES || e.error() == ENOEXEC ? kCannotExecute : kNotFound;
}

// Forwards terminal and termination signals to the command while it runs: the command has
// its own session, so the terminal's signals reach only cove.
class SignalForwarder {
 public:
  SignalForwarder(sb::Sandbox& box, sb::Sandbox::Command cmd) {
    sigset_t set = signals();
    sigfd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
    stop_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this, &box, cmd] {
      for (;;) {
        pollfd p[2] = {{sigfd_, POLLIN, 0}, {stop_, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
        if (p[1].revents) return;
        signalfd_siginfo info;
        if (p[0].revents && ::read(sigfd_, &info, sizeof info) == sizeof info)
          box.signal(cmd, static_cast<int>(info.ssi_signo));
      }
    });
  }
  ~SignalForwarder() {
    uint64_t one = 1;
    ssize_t ignored = ::write(stop_, &one, sizeof one);
    (void)ignored;
    thread_.join();
    ::close(sigfd_);
    ::close(stop_);
  }
  // Blocks the forwarded signals in the calling thread (and threads it starts later).
  static void block() {
    sigset_t set = signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }

 private:
  static sigset_t signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
      sigaddset(&set, s);
    return set;
  }
  int sigfd_ = -1;
  int stop_ = -1;
  std::thread thread_;
};

std::unique_ptr<sb::Sandbox> start_or_report(const sb::SandboxSpec& spec) {
  try {
    return sb::Sandbox::start(spec);
  } catch (const sb::SandboxError& e) {
    std::fprintf(stderr, "cove: sandbox: %s\n", e.what());
    return nullptr;
  }
}

int run_command(const Options& o) {
  if (o.command.empty()) usage_error("sandbox run: missing command (cove sandbox run -- CMD ...)");
  sb::SandboxSpec spec = make_spec(o);
  SignalForwarder::block();
  auto box = start_or_report(spec);
  if (!box) return kSandboxFailed;
  sb::SpawnRequest req = request_for(o, spec);
  req.stdin_fd = 0;
  req.stdout_fd = 1;
  req.stderr_fd = 2;
  try {
    auto cmd = box->spawn(req);
    SignalForwarder forward(*box, cmd);
    return box->wait(cmd).shell_code();
  } catch (const sb::SpawnError& e) {
    return spawn_failure_code(e);
  } catch (const sb::SandboxError& e) {
    std::fprintf(stderr, "cove: sandbox: %s\n", e.what());
    return kSandboxFailed;
  }
}

// Copies between the user's terminal and the shell's pseudo-terminal until the shell ends,
// passing window size changes along.
void relay(int master) {
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  ::pthread_sigmask(SIG_BLOCK, &winch, nullptr);
  int resized = ::signalfd(-1, &winch, SFD_CLOEXEC);
  char buf[4096];
  for (;;) {
    pollfd p[3] = {{0, POLLIN, 0}, {master, POLLIN, 0}, {resized, POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[2].revents & POLLIN) {
      signalfd_siginfo info;
      winsize ws;
      if (::read(resized, &info, sizeof info) > 0 && ::ioctl(0, TIOCGWINSZ, &ws) == 0)
        ::ioctl(master, TIOCSWINSZ, &ws);
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: every process holding the terminal is gone
      if (::write(1, buf, static_cast<size_t>(n)) < 0) break;
    }
    if (p[0].revents & POLLIN) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) break;
      if (::write(master, buf, static_cast<size_t>(n)) < 0) break;
    }
  }
  ::close(resized);
}

int run_shell(Options o) {
  if (o.command.empty()) o.command = {"/bin/bash", "-i"};
  if (!::isatty(0)) return run_command(o);
  sb::SandboxSpec spec = make_spec(o);
  auto box = start_or_report(spec);
  if (!box) return kSandboxFailed;
  // The terminal comes from the sandbox's own devpts, so the shell sees /dev/pts/0 as its
  // tty (ttyname, ps, job control) and no host pty is reachable from inside.
  std::string ptmx = "/proc/" + std::to_string(box->init_pid()) + "/root/dev/pts/ptmx";
  int master = ::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  int slave = master < 0 || ::unlockpt(master) != 0
                  ? -1
                  : ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    std::fprintf(stderr, "cove: sandbox: cannot open a terminal in the sandbox: %s\n",
                 std::strerror(errno));
    return kSandboxFailed;
  }
  winsize ws;
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(slave, TIOCSWINSZ, &ws);
  sb::SpawnRequest req = request_for(o, spec);
  req.stdin_fd = req.stdout_fd = req.stderr_fd = slave;
  req.controlling_tty = true;
  termios saved;
  ::tcgetattr(0, &saved);
  try {
    auto cmd = box->spawn(req);
    ::close(slave);
    termios raw = saved;
    ::cfmakeraw(&raw);
    ::tcsetattr(0, TCSANOW, &raw);
    relay(master);
    ::tcsetattr(0, TCSANOW, &saved);
    return box->wait(cmd).shell_code();
  } catch (const sb::SpawnError& e) {
    ::tcsetattr(0, TCSANOW, &saved);
    return spawn_failure_code(e);
  }
}

// The command: the words CLI11 left over, then everything after "--". A left-over word that
// starts with '-' is an option CLI11 did not know (options come before the command, and no
// command starts with '-'), and words before a "--" are not a command either.
std::vector<std::string> command_words(const CLI::App& cmd) {
  std::vector<std::string> words = cmd.remaining();
  std::string path = "sandbox " + cmd.get_name();
  if (!words.empty() && words.front().size() > 1 && words.front()[0] == '-') {
    std::string name = words.front().substr(0, words.front().find('='));
    std::vector<std::string> known;
    for (const auto* opt : cmd.get_options())
      for (const auto& l : opt->get_lnames())
        known.push_back("--" + l);
    std::string near = nearest(name, known);
    usage_error(path + ": unknown option '" + name + "'" +
                (near.empty() ? "" : "; did you mean '" + near + "'?") +
                " (options go before the command; see cove " + path + " --help)");
  }
  if (!words.empty() && !trailing_args().empty())
    usage_error(path + ": '" + words.front() +
                "' comes before --, where only options go; put the command after --");
  words.insert(words.end(), trailing_args().begin(), trailing_args().end());
  return words;
}

}  // namespace

void add_sandbox_commands(CLI::App& app, int& exit_code) {
  auto* sandbox = app.add_subcommand("sandbox", "Run commands in a fresh session sandbox");
  sandbox->require_subcommand(1);
  static Options run_opts, shell_opts;

  auto* run = sandbox->add_subcommand(
      "run",
      "Run CMD in a fresh sandbox: cove sandbox run [OPTIONS] [--] CMD [ARGS...]\n"
      "stdio passes through; the exit code is CMD's (128+N when killed by signal N)");
  add_options(run, run_opts);
  // Everything from the first non-option word on is the command (a leading -- is optional).
  run->prefix_command();
  run->callback([&, run] {
    run_opts.command = command_words(*run);
    exit_code = run_command(run_opts);
  });

  auto* shell = sandbox->add_subcommand("shell",
                                        "Open an interactive shell in a fresh sandbox: cove "
                                        "sandbox shell [OPTIONS] [-- SHELL ARGS...]");
  add_options(shell, shell_opts);
  shell->prefix_command();
  shell->callback([&, shell] {
    shell_opts.command = command_words(*shell);
    exit_code = run_shell(shell_opts);
  });
}

}  // namespace cove::cli
