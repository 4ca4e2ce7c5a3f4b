// A session's sandbox: built once, then runs any number of commands.
//
//   auto sb = Sandbox::start(spec);                // namespaces, cgroups, root fs, init
//   ExitStatus st = sb->run({.argv = {"make"}, .env = env, .cwd = "/workspace/repo"});
//
// Thread-safe: spawn/wait/signal may be called from several threads. Destroying the Sandbox
// (or the death of the cove process) kills every process inside it.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/unique_fd.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/error.hpp"
#include "sandbox/spec.hpp"

namespace cove::sandbox {

// A command could not be started (exec failed, bad cwd, ...). error() is the errno.
class SpawnError : public SandboxError {
 public:
  SpawnError(const std::string& reason, int error) : SandboxError("spawn", reason), error_(error) {}
  int error() const { return error_; }

 private:
  int error_;
};

class Sandbox {
 public:
  // A running command; `pid` is its pid inside the sandbox.
  struct Command {
    uint32_t id = 0;
    pid_t pid = 0;
  };

  // Builds the sandbox. If any layer cannot be set up, throws SandboxError naming it (and
  // nothing has run). Call from a long-lived thread (see namespaces.hpp).
  static std::unique_ptr<Sandbox> start(const SandboxSpec& spec);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Starts a command through the sandbox's init. Throws SpawnError, or SandboxError when
  // the sandbox is gone.
  Command spawn(const SpawnRequest& request);
  // Waits for a spawned command to end. Each command is waited for once.
  ExitStatus wait(const Command& command);
  // Sends `sig` to the command's process group.
  void signal(const Command& command, int sig);
  ExitStatus run(const SpawnRequest& request) { return wait(spawn(request)); }

  const SandboxSpec& spec() const { return spec_; }
  pid_t init_pid() const { return init_pid_; }
  // The sandbox's cgroups; nullptr when it runs without them (limits_warning() says why).
  const Cgroup* cgroup() const { return cgroup_ ? &*cgroup_ : nullptr; }
  // Empty when the memory, pids and CPU limits hold; otherwise one line saying that they do
  // not, why, and how to get them (a rootless cove outside a delegated cgroup). The caller
  // shows it: cove never drops limits silently.
  const std::string& limits_warning() const { return limits_warning_; }

 private:
  struct Pending {
    bool spawned = false;
    bool exited = false;
    pid_t pid = 0;
    int error = 0;
    std::string failure;
    ExitStatus status;
  };

  explicit Sandbox(SandboxSpec spec) : spec_(std::move(spec)) {}
  void send(const std::string& msg, const int* fds, size_t nfds);
  // Reads init's messages until `done` holds or init is gone; one reader at a time.
  template <class Done>
  void await(std::unique_lock<std::mutex>& lock, Done done);
  void dispatch(const std::string& msg);

  SandboxSpec spec_;
  std::optional<Cgroup> cgroup_;
  std::string limits_warning_;
  UniqueFd control_;
  pid_t init_pid_ = -1;

  std::mutex mu_;
  std::condition_variable cv_;
  bool reading_ = false;
  bool dead_ = false;
  uint32_t next_id_ = 1;
  std::map<uint32_t, Pending> pending_;
};

// Removes the cgroups of a sandbox named `name` that its cove left behind when it died (see
// Cgroup::remove_stale). False when they still hold processes or cgroups are unusable.
bool remove_leftover_cgroups(const std::string& name);

}  // namespace cove::sandbox
