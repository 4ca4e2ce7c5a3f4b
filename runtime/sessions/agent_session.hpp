// One session's worker (session_worker.cpp): a thread that owns the session's environment
// (checkouts, sandbox, proxies, shell, MCP clients, model provider) and runs the session's
// work (SessionWork) for each batch of queued events. Created by SessionRunner when a session
// first gets work. After RunnerConfig::idle_timeout without events the environment is torn
// down; the next event builds it again (same workspace, a fresh shell). Every method is
// thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/session_runner.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::sessions {

// What every session of a runner shares. The repository cache and the proxy service are
// made on first use (API-only runs never need them).
struct RunnerShared {
  RunnerShared(EventLog& log, RunnerConfig config);
  ~RunnerShared();
  mounts::RepoCache& repos();
  netproxy::ProxyService& proxies();

  EventLog& log;
  RunnerConfig config;

 private:
  std::mutex mu_;
  std::unique_ptr<mounts::RepoCache> repos_;
  std::unique_ptr<netproxy::ProxyService> proxies_;
};

// The session's sandbox held up for a command from outside the agent loop (`cove exec`,
// `cove cp`): no idle teardown while a hold lives.
struct SandboxHold {
  sandbox::Sandbox& sandbox;
  std::vector<std::string> env;  // the shell's environment (no tokens)
  std::string cwd;               // the session's working directory
  std::stop_token stop;          // fires when the session closes: end the command at once
};

class AgentSession {
 public:
  static std::shared_ptr<AgentSession> create(std::string session_id,
                                              std::shared_ptr<RunnerShared> shared);
  virtual ~AgentSession() = default;
  // Queues events; a user.interrupt stops the work in progress at once.
  virtual void wake(std::vector<WokenEvent> events) = 0;
  // Stops the work and tears the environment down; with wait, returns once that is done
  // (otherwise the session's thread finishes it; join() waits for it later). With
  // remove_storage (the session was deleted), its workspace and checkouts go too.
  virtual void close(bool wait, bool remove_storage) = 0;
  virtual void join() = 0;
  virtual bool busy() = 0;
  // True while the session's sandbox is up (built and not yet torn down for idleness).
  virtual bool sandbox_up() = 0;
  // Builds the sandbox when it is down (set-up events as for a turn) and holds it up until
  // the hold is released. Throws std::runtime_error saying why when it cannot be built or
  // the session closes.
  virtual std::shared_ptr<SandboxHold> hold_sandbox() = 0;
};

}  // namespace cove::sessions
