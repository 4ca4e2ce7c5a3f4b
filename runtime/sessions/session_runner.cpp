#include "runtime/sessions/session_runner.hpp"

#include "base/clock.hpp"
#include "base/random.hpp"
#include "mounts/repo_cache.hpp"
#include "net/url.hpp"
#include "runtime/domain/event.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_storage.hpp"

namespace cove::sessions {

RunnerShared::RunnerShared(EventLog& l, RunnerConfig c) : log(l), config(std::move(c)) {}
RunnerShared::~RunnerShared() = default;

mounts::RepoCache& RunnerShared::repos() {
  std::lock_guard lock(mu_);
  if (!repos_) {
    mounts::RepoCacheOptions o;
    o.root = config.home / "repos";
    repos_ = std::make_unique<mounts::RepoCache>(o);
  }
  return *repos_;
}

netproxy::ProxyService& RunnerShared::proxies() {
  std::lock_guard lock(mu_);
  if (!proxies_) proxies_ = std::make_unique<netproxy::ProxyService>(2);
  return *proxies_;
}

namespace {

using json = nlohmann::json;
namespace status = domain::session_status;

// Appends a server event of `type` with `fields`, processed now.
void append(store::WriteBatch& batch, const std::string& session_id, const std::string& type,
            int64_t now, json fields = json::object()) {
  std::string id = new_id("sevt");
  batch.append_event(session_id, id, type, now,
                     domain::server_event(type, id, rfc3339(now), std::move(fields)));
}

}  // namespace

bool is_loopback_url(const std::string& url) {
  try {
    auto u = net::parse_url(url);
    return u.host == "localhost" || u.host == "::1" || u.host.rfind("127.", 0) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::string offline_refusal(const std::string& url) {
  std::string host = net::without_userinfo(url);
  try {
    host = net::parse_url(url).host;
  } catch (const std::exception&) {
  }
  return "cove runs offline and reaches only loopback addresses; " + host + " is not one";
}

SessionRunner::SessionRunner(EventLog& log, RunnerConfig config)
    : log_(log), shared_(std::make_shared<RunnerShared>(log, std::move(config))) {}

SessionRunner::~SessionRunner() {
  std::unordered_map<std::string, std::shared_ptr<AgentSession>> sessions;
  std::vector<std::shared_ptr<AgentSession>> closing;
  {
    std::lock_guard lock(mu_);
    sessions.swap(sessions_);
    closing.swap(closing_);
  }
  for (auto& [id, s] : sessions)
    s->close(false, false);
  // Closing fired the holds' stop: the commands end, then the sessions' threads.
  std::vector<ExecThread> execs;
  {
    std::lock_guard lock(mu_);
    execs.swap(execs_);
  }
  for (auto& e : execs)
    e.thread.join();
  for (auto& [id, s] : sessions)
    s->join();
  for (auto& s : closing)
    s->join();
  // Each environment detached its own checkouts as it closed; a mount still there belongs to
  // one whose set-up the stop cut short. Sweep as the next start would, keeping every
  // session's files (they all live on), so that a stopped daemon leaves no mount behind.
  try {
    sweep_session_storage(*shared_, [](const std::string&) { return true; });
  } catch (const std::exception&) {
  }
}

void SessionRunner::exec(const std::string& session_id, ExecRequest request, ExecOutput output,
                         std::function<void(const ExecResult&)> done) {
  auto s = session(session_id);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread t([s, request = std::move(request), output = std::move(output),
                 done = std::move(done), finished] {
    ExecResult result;
    try {
      auto hold = s->hold_sandbox();
      result.status = run_in_sandbox(*hold, request, output);
      result.ran = true;
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    done(result);
    *finished = true;
  });
  std::lock_guard lock(mu_);
  for (auto it = execs_.begin(); it != execs_.end();) {
    if (*it->done) {
      it->thread.join();
      it = execs_.erase(it);
    } else {
      ++it;
    }
  }
  execs_.push_back({std::move(t), finished});
}

std::shared_ptr<AgentSession> SessionRunner::session(const std::string& session_id) {
  std::lock_guard lock(mu_);
  auto& s = sessions_[session_id];
  if (!s) s = AgentSession::create(session_id, shared_);
  return s;
}

void SessionRunner::wake(const std::string& session_id, std::vector<WokenEvent> events) {
  if (events.empty()) return;
  session(session_id)->wake(std::move(events));
}

void SessionRunner::close(const std::string& session_id) {
  std::shared_ptr<AgentSession> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    s = std::move(it->second);
    sessions_.erase(it);
    closing_.push_back(s);
  }
  s->close(false, false);
}

void SessionRunner::remove(const std::string& session_id) {
  std::shared_ptr<AgentSession> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) {
      s = std::move(it->second);
      sessions_.erase(it);
      closing_.push_back(s);
    }
  }
  // The session's thread removes the storage once its sandbox is down.
  if (s)
    s->close(false, true);
  else
    remove_session_storage(*shared_, session_id);
}

const char* SessionRunner::sandbox_state(const std::string& session_id) {
  std::shared_ptr<AgentSession> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) s = it->second;
  }
  if (s && s->sandbox_up()) return sandbox_state::kRunning;
  const auto& home = shared_->config.home;
  std::error_code ec;
  if (!home.empty() && std::filesystem::exists(home / "sessions" / session_id / "workspace", ec))
    return sandbox_state::kStopped;
  return sandbox_state::kNone;
}

bool SessionRunner::busy(const std::string& session_id) {
  std::shared_ptr<AgentSession> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return false;
    s = it->second;
  }
  return s->busy();
}

int SessionRunner::recover_after_restart() {
  auto& store = log_.store();
  sweep_session_storage(*shared_, [&](const std::string& id) { return store.get(id).has_value(); });
  store::ObjectQuery q;
  q.kind = "session";
  q.include_archived = false;
  q.filters.push_back({"status", {status::kRunning, status::kRescheduling}});
  q.limit = 500;
  int recovered = 0;
  for (;;) {
    bool more = false;
    auto sessions = store.list(q, &more);
    for (const auto& s : sessions) {
      int64_t now = now_ms();
      store::WriteBatch b;
      b.set_field(s.id, "status", status::kIdle);
      b.set_field(s.id, "updated_at", rfc3339(now));
      append(b, s.id, domain::event_type::kSessionError, now,
             domain::session_error_fields(domain::session_error::kUnknown,
                                          "cove restarted while this session was running; the "
                                          "turn in progress was abandoned",
                                          domain::session_error::kExhausted));
      append(b, s.id, domain::event_type::kSessionStatusIdle, now,
             domain::idle_fields({{"type", domain::stop_reason::kRetriesExhausted}}));
      if (log_.commit(std::move(b)).status == store::Status::ok) ++recovered;
    }
    if (!more || sessions.empty()) break;
    q.after_pos = sessions.back().pos;
  }
  return recovered;
}

}  // namespace cove::sessions
