// SessionRunner: what happens to a session after events are sent to it. Each session that
// has work gets an AgentSession (its own thread): the first turn prepares the session
// (repositories, sandbox, proxies, shell, MCP servers), then every queued user event is
// handled by the agent loop. user.interrupt jumps the queue. Archive and delete tear the
// session's sandbox and checkouts down.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/models/config.hpp"
#include "runtime/netproxy/runtime_target.hpp"
#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/session_exec.hpp"
#include "runtime/tools/tools.hpp"
#include "sandbox/spec.hpp"

namespace cove::mounts {
class RepoCache;
}
namespace cove::netproxy {
class ProxyService;
}

namespace cove::sessions {

struct RunnerConfig {
  // State directory: repository cache in home/repos, session workspaces in home/sessions.
  // Empty: sessions cannot prepare a sandbox (API-only use, such as store tests).
  std::filesystem::path home;
  models::ProviderConfig models;
  sandbox::Limits limits;
  tools::ToolLimits tool_limits;
  // Let the egress proxy reach loopback and private addresses (air-gapped setups whose
  // services live on this machine; tests).
  bool egress_allow_private = false;
  // Air-gapped: repositories, MCP servers and models are reached only on loopback addresses;
  // anything else fails at once with an error saying so (nothing leaves the machine).
  bool offline = false;
  // Let MCP server and repository URLs from API clients name loopback and private addresses
  // (services on this machine or its network). Off: they are refused like the egress proxy
  // refuses them. Offline mode allows loopback regardless.
  bool allow_private_targets = false;
  netproxy::TargetPolicy targets() const { return {offline, allow_private_targets}; }
  // Model request retries on 429, 5xx and overloaded replies.
  int max_retries = 4;
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{30000};
  // A turn that makes more model requests than this ends with a session.error.
  int max_model_requests_per_turn = 200;
  // A session without events for this long has its sandbox (init, shell, proxies, mounts)
  // torn down; its next event brings it back with the same workspace. Zero: never.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
};

// Where a session's sandbox is (the `cove.sandbox` field of the API's session object).
namespace sandbox_state {
inline constexpr char kRunning[] = "running";  // up, with its shell
inline constexpr char kStopped[] = "stopped";  // torn down; the next event brings it back
inline constexpr char kNone[] = "none";        // never built (or the session was deleted)
}  // namespace sandbox_state

// An event that was just appended durably, to be handled by the session.
struct WokenEvent {
  std::string id;
  std::string type;
};

// True when the URL's host is a loopback name or address (localhost, 127.0.0.0/8, ::1).
bool is_loopback_url(const std::string& url);
// The error for a URL `offline` refuses.
std::string offline_refusal(const std::string& url);

class AgentSession;
struct RunnerShared;

class SessionRunner {
 public:
  explicit SessionRunner(EventLog& log, RunnerConfig config = {});
  ~SessionRunner();  // stops every session (kills their sandboxes)
  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  // Queues the events for the session's next turn (user.interrupt acts at once).
  void wake(const std::string& session_id, std::vector<WokenEvent> events);
  // The session was archived: stop its work and tear its sandbox down. Its workspace and
  // checkouts stay on the host.
  void close(const std::string& session_id);
  // The session was deleted: as close(), then its workspace and checkouts are removed too.
  void remove(const std::string& session_id);

  // Run once at startup, before serving: sessions a previous process left running (it died
  // mid-turn) come back idle, with a session.error saying why. Returns how many. What
  // earlier processes left on the host is swept first (sweep_session_storage): mounts and
  // cgroups of sessions that exist are released for their next sandbox, everything of
  // deleted sessions is removed.
  int recover_after_restart();

  // A sandbox_state value for the session.
  const char* sandbox_state(const std::string& session_id);

  // Runs a command in the session's own sandbox (session_exec.hpp) on a thread of the
  // runner's, waking the sandbox when it is down: `output` gets what it prints, then `done`
  // its exit status, or the reason it could not run (the sandbox could not be built, no
  // such program). Both are called on that thread. The session must exist.
  struct ExecResult {
    bool ran = false;
    sandbox::ExitStatus status;
    std::string error;  // when !ran
  };
  void exec(const std::string& session_id, ExecRequest request, ExecOutput output,
            std::function<void(const ExecResult&)> done);

  // True while a turn is in flight or events are queued for the session (for tests).
  bool busy(const std::string& session_id);

 private:
  std::shared_ptr<AgentSession> session(const std::string& session_id);

  EventLog& log_;
  std::shared_ptr<RunnerShared> shared_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<AgentSession>> sessions_;
  std::vector<std::shared_ptr<AgentSession>> closing_;  // torn down in the background
  struct ExecThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<ExecThread> execs_;  // joined when finished, and by the destructor
};

}  // namespace cove::sessions
