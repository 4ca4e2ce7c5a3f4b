// The agent loop of one session, on the session's own thread.
//
// A batch of queued user events is one step of work: the events are marked processed, the
// session goes running, confirmations and tool results are applied, and then the model is
// called until it ends its turn, a tool call needs the client (requires_action), an
// interrupt arrives, or retries run out. Every step is an event, durable before it is
// streamed. Model and MCP calls are coroutines run on the session's own io_context; tools
// block the thread (they are the session's work).
#include "runtime/sessions/agent_session.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <thread>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "mcp/client.hpp"
#include "mounts/repo_cache.hpp"
#include "net/block_on.hpp"
#include "net/sse_writer.hpp"
#include "runtime/models/provider.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/history.hpp"
#include "runtime/sessions/session_environment.hpp"
#include "runtime/sessions/toolbox.hpp"

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

using Clock = std::chrono::steady_clock;

// The session was archived or deleted under us: the turn ends quietly.
struct SessionGone : std::runtime_error {
  SessionGone() : std::runtime_error("session gone") {}
};

// Runs a coroutine on `io` from its owning thread and returns its result.

std::string model_error_type(models::ModelErrorKind kind) {
  switch (kind) {
    case models::ModelErrorKind::overloaded:
      return "model_overloaded_error";
    case models::ModelErrorKind::rate_limited:
      return "model_rate_limited_error";
    default:
      return "model_request_failed_error";
  }
}

json mcp_content(const mcp::ToolResult& r) {
  json out = json::array();
  for (const auto& c : r.content) {
    if (c.type == "text")
      out.push_back({{"type", "text"}, {"text", c.text}});
    else if (c.type == "image")
      out.push_back(
          {{"type", "image"},
           {"source", {{"type", "base64"}, {"media_type", c.mime_type}, {"data", c.data}}}});
    else if (c.type == "resource" && !c.text.empty())
      out.push_back({{"type", "text"}, {"text", c.text}});
    else
      out.push_back({{"type", "text"}, {"text", c.raw.dump()}});
  }
  if (out.empty() && r.structured_content)
    out.push_back({{"type", "text"}, {"text", r.structured_content->dump()}});
  return out;
}

// The stream-only previews of one model reply: which agent.message (event id, content slot)
// each text block of the reply belongs to, and the agent.thinking ids.
struct Previews {
  std::map<int, std::pair<std::string, int>> text_slot;
  std::map<int, std::string> thinking_id;
  std::string message_id;
  int slots = 0;
  int last_index = -2;
  bool last_text = false;
};

class Session final : public AgentSession, public std::enable_shared_from_this<Session> {
 public:
  Session(std::string id, std::shared_ptr<RunnerShared> shared)
      : id_(std::move(id)), shared_(std::move(shared)), log_(shared_->log) {}

  ~Session() override { close(true); }

  void start() {
    thread_ = std::thread([self = shared_from_this()] { self->main(); });
  }

  void wake(std::vector<WokenEvent> events) override {
    std::lock_guard lock(mu_);
    if (closing_) return;
    for (auto& e : events) {
      if (e.type == "user.interrupt") stop_.request_stop();
      queue_.push_back(std::move(e));
    }
    cv_.notify_all();
  }

  void close(bool wait) override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      stop_.request_stop();
      cv_.notify_all();
    }
    if (wait) join();
  }

  void join() override {
    std::lock_guard lock(join_mu_);
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();
      else
        thread_.join();
    }
  }

  bool busy() override {
    std::lock_guard lock(mu_);
    return working_ || !queue_.empty();
  }

 private:
  struct ToolCall {
    std::string event_id;
    std::string event_type;
    std::string name;    // tool name (MCP: the server's)
    std::string server;  // MCP server
    json input;
    Policy policy = Policy::allow;
    std::string deny_reason;
  };

  // ---- events ----

  json make_event(const std::string& type, json extra = json::object(), std::string id = {}) const {
    extra["type"] = type;
    extra["id"] = id.empty() ? new_id("sevt") : id;
    extra["processed_at"] = rfc3339(now_ms());
    return extra;
  }

  // Events committed together, atomically and durably. A batch starts with the events
  // deferred so far (see defer()), so they keep their place in the log.
  struct Batch {
    store::WriteBatch writes;
    std::string session_id;
    Batch(const std::string& id, std::vector<json>& deferred) : session_id(id) {
      writes.expect(id, true);
      for (auto& e : deferred)
        add(std::move(e));
      deferred.clear();
    }
    std::string add(json event) {
      std::string id = event["id"];
      std::string type = event["type"];
      writes.append_event(session_id, id, type, now_ms(), std::move(event));
      return id;
    }
  };

  // Queues an event for the next commit instead of paying a commit (an fsync) for it alone:
  // used for events that are followed at once by another commit (a set-up step's end, the
  // last tool result before the next model request). Never before waiting.
  void defer(json event) { deferred_.push_back(std::move(event)); }

  // Commits durably (throws SessionGone when the session was archived or deleted) and
  // feeds the appended events to the history.
  std::vector<store::Event> commit(Batch& b) {
    auto r = log_.commit(std::move(b.writes));
    if (r.status != store::Status::ok) throw SessionGone();
    for (const auto& e : r.appended)
      history_.apply(e, pending_);
    return std::move(r.appended);
  }

  void set_status(Batch& b, const std::string& status) {
    b.writes.set_field(id_, "status", status);
    b.writes.set_field(id_, "updated_at", rfc3339(now_ms()));
    status_ = status;
  }

  void error_event(Batch& b, const std::string& type, const std::string& message,
                   const std::string& retry, json extra = json::object()) {
    extra["type"] = type;
    extra["message"] = message;
    extra["retry_status"] = {{"type", retry}};
    b.add(make_event("session.error", {{"error", extra}}));
  }

  // Ends the turn: idle with a stop reason, stats and usage saved.
  void go_idle(Batch& b, json stop_reason) {
    set_status(b, "idle");
    save_stats(b);
    b.add(make_event("session.status_idle",
                     {{"stop_reason", std::move(stop_reason)}, {"stop_details", nullptr}}));
    commit(b);
  }

  void go_idle(json stop_reason) {
    Batch b(id_, deferred_);
    go_idle(b, std::move(stop_reason));
  }

  void save_stats(Batch& b) {
    if (turn_started_) {
      active_ms_ +=
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *turn_started_)
              .count();
      turn_started_ = Clock::now();
    }
    json stats = stats_;
    stats["active_seconds"] = active_ms_ / 1000.0;
    stats["duration_seconds"] = (now_ms() - created_ms_) / 1000.0;
    b.writes.set_field(id_, "stats", stats);
    b.writes.set_field(id_, "usage", usage_);
  }

  bool stopped() const { return stop_token_.stop_requested(); }

  // ---- the thread ----

  void main() {
    for (;;) {
      std::vector<WokenEvent> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (closing_) break;
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.end()));
        queue_.clear();
        working_ = true;
        // A fresh stop source per batch; an interrupt in this batch is handled as an event.
        stop_ = std::stop_source();
        stop_token_ = stop_.get_token();
      }
      try {
        handle(batch);
      } catch (const SessionGone&) {
        // Archived or deleted: nothing more to say.
      } catch (const std::exception& e) {
        std::cerr << "cove: session " << id_ << ": " << e.what() << "\n";
        try {
          Batch b(id_, deferred_);
          error_event(b, "unknown_error", e.what(), "exhausted");
          go_idle(b, {{"type", "retries_exhausted"}});
        } catch (const std::exception&) {
        }
      }
      std::lock_guard lock(mu_);
      working_ = false;
    }
    // Torn down on this thread: the sandbox was built here.
    mcp_.clear();
    env_.reset();
  }

  // Loads what the session knows so far: history, pending tool calls, usage and stats.
  void load(const store::Object& session, const std::vector<WokenEvent>& skip) {
    loaded_ = true;
    created_ms_ = session.created_ms;
    usage_ = session.body.value("usage", json::object());
    stats_ = session.body.value("stats", json::object());
    active_ms_ = static_cast<int64_t>(stats_.value("active_seconds", 0.0) * 1000);
    agent_ = session.body.value("agent", json::object());
    toolbox_ = std::make_unique<Toolbox>(agent_.value("tools", json::array()));
    store::EventQuery q;
    q.session_id = id_;
    q.limit = 1000;
    std::set<std::string> skipped;
    for (const auto& w : skip)
      skipped.insert(w.id);
    for (;;) {
      bool more = false;
      auto events = log_.store().events(q, &more);
      for (const auto& e : events) {
        if (skipped.count(e.id) || e.body.value("processed_at", json()).is_null()) continue;
        history_.apply(e, pending_);
      }
      if (!more || events.empty()) break;
      q.after_seq = events.back().seq;
    }
  }

  void handle(const std::vector<WokenEvent>& woken) {
    auto session = log_.store().get(id_);
    if (!session || session->archived) return;
    if (!loaded_) load(*session, woken);
    status_ = session->body.value("status", "idle");

    std::vector<store::Event> events;
    bool interrupt = false;
    for (const auto& w : woken) {
      if (auto e = log_.store().event(id_, w.id)) {
        interrupt = interrupt || e->type == "user.interrupt";
        events.push_back(std::move(*e));
      }
    }
    bool only_interrupts = std::all_of(events.begin(), events.end(), [](const store::Event& e) {
      return e.type == "user.interrupt";
    });
    // Mark the events processed; the session is running from here on.
    {
      Batch b(id_, deferred_);
      auto now = rfc3339(now_ms());
      for (const auto& e : events)
        b.writes.set_event_field(id_, e.id, "processed_at", now);
      if (only_interrupts && pending_.empty() && status_ != "running") {
        commit(b);
        return;  // nothing was running: an interrupt has nothing to stop
      }
      if (status_ != "running") {
        set_status(b, "running");
        b.add(make_event("session.status_running"));
      }
      commit(b);
      turn_started_ = Clock::now();
    }

    std::vector<std::pair<PendingTool, store::Event>> confirmations;
    for (auto& e : events) {
      const std::string& type = e.type;
      if (type == "user.message" || type == "system.message") {
        if (!pending_.empty())
          cancel_pending("the user sent a new message instead of answering this tool call");
        history_.apply(e, pending_);
      } else if (type == "user.tool_confirmation") {
        std::string target = e.body.value("tool_use_id", "");
        auto it = std::find_if(pending_.begin(), pending_.end(), [&](const PendingTool& p) {
          return p.event_id == target && !p.custom();
        });
        if (it == pending_.end()) {
          Batch b(id_, deferred_);
          error_event(b, "unknown_error",
                      "user.tool_confirmation names " + target +
                          ", which is not a tool call waiting for confirmation",
                      "exhausted");
          commit(b);
          continue;
        }
        confirmations.emplace_back(*it, e);
        pending_.erase(it);
      } else if (type == "user.custom_tool_result") {
        std::string target = e.body.value("custom_tool_use_id", "");
        bool known = std::any_of(pending_.begin(), pending_.end(), [&](const PendingTool& p) {
          return p.event_id == target && p.custom();
        });
        if (!known) {
          Batch b(id_, deferred_);
          error_event(b, "unknown_error",
                      "user.custom_tool_result names " + target +
                          ", which is not a custom tool call waiting for a result",
                      "exhausted");
          commit(b);
          continue;
        }
        history_.apply(e, pending_);
      } else if (type == "user.define_outcome") {
        Batch b(id_, deferred_);
        error_event(b, "unknown_error", "user.define_outcome is not supported by cove yet",
                    "exhausted");
        commit(b);
      } else if (type == "user.tool_result") {
        Batch b(id_, deferred_);
        error_event(b, "unknown_error",
                    "user.tool_result is only for self_hosted environments; cove runs the "
                    "built-in tools itself",
                    "exhausted");
        commit(b);
      }
    }

    if (interrupt || stopped()) {
      for (auto& [p, e] : confirmations)
        emit_result(p, tools::ToolOutput::text("interrupted by the user", true));
      return interrupted();
    }
    if (!confirmations.empty() || history_.awaiting_model()) {
      if (!ensure_ready()) return;
    }
    for (auto& [p, e] : confirmations) {
      if (stopped()) {
        emit_result(p, tools::ToolOutput::text("interrupted by the user", true));
        continue;
      }
      if (e.body.value("result", "") == "allow") {
        emit_result(p, execute(p.event_type, p.name, p.server, p.input));
      } else {
        std::string msg = "the user denied this tool call";
        if (auto m = e.body.value("deny_message", std::string()); !m.empty()) msg += ": " + m;
        emit_result(p, tools::ToolOutput::text(msg, true));
      }
    }
    if (stopped()) return interrupted();
    if (!pending_.empty()) return requires_action();
    if (history_.awaiting_model()) return loop();
    go_idle({{"type", "end_turn"}});
  }

  void requires_action() {
    json ids = json::array();
    for (const auto& p : pending_)
      ids.push_back(p.event_id);
    go_idle({{"type", "requires_action"}, {"event_ids", ids}});
  }

  // Tool calls that will never run get an error result, so the history stays well formed.
  void cancel_pending(const std::string& why) {
    auto pending = pending_;
    for (const auto& p : pending)
      emit_result(p, tools::ToolOutput::text(why, true));
  }

  void interrupted() {
    cancel_pending("interrupted by the user");
    // Interrupts that arrived during this turn are handled by ending it.
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->type == "user.interrupt") {
          ids.push_back(it->id);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    Batch b(id_, deferred_);
    auto now = rfc3339(now_ms());
    for (const auto& id : ids)
      b.writes.set_event_field(id_, id, "processed_at", now);
    go_idle(b, {{"type", "end_turn"}});
  }

  // ---- environment ----

  // Builds the environment on first use. False when the turn had to end (reported).
  bool ensure_ready() {
    if (ready_) return true;
    auto t0 = Clock::now();
    json setup = json::object();
    StepRunner step = [&](const std::string& name, const std::string& what,
                          std::function<void()> work) {
      // Steps that talk to the network can take long: their start is visible at once. The
      // other starts and every end ride on the next commit (one fsync, not two per step).
      json start_event = make_event("span.setup_step_start", {{"step", name}, {"name", what}});
      std::string start = start_event["id"];
      defer(std::move(start_event));
      if (name == "repository" || name == "mcp") {
        Batch b(id_, deferred_);
        commit(b);
      }
      auto s0 = Clock::now();
      std::string error;
      std::exception_ptr failure;
      try {
        work();
      } catch (const std::exception& e) {
        error = e.what();
        failure = std::current_exception();
      }
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
      setup[name] = setup.value(name, 0.0) + ms;
      json end = {{"setup_step_start_id", start},
                  {"step", name},
                  {"name", what},
                  {"duration_ms", ms},
                  {"is_error", !error.empty()}};
      if (!error.empty()) end["error"] = error;
      defer(make_event("span.setup_step_end", end));
      if (failure) std::rethrow_exception(failure);  // as it was: callers tell kinds apart
    };
    try {
      auto session = log_.store().get(id_);
      if (!session) throw SessionGone();
      auto environment = log_.store().get(session->body.value("environment_id", ""));
      store::ObjectQuery q;
      q.kind = "resource";
      q.parent = id_;
      q.limit = 1000;
      auto resources = log_.store().list(q, nullptr);
      env_ = std::make_unique<Environment>(*shared_, id_);
      auto failures =
          env_->prepare(resources, environment ? environment->body : json::object(), step);
      for (const auto& f : failures) {
        Batch b(id_, deferred_);
        error_event(b, f.error_type, f.message, "retrying", {{"repository_url", f.url}});
        commit(b);
      }
      connect_mcp(step, *session);
      std::string model = model_id();
      check_model(model);
      provider_ = models::make_provider(io_.get_executor(), shared_->config.models, model, id_);
      model_name_ = model;
      for (const char* prefix : {"anthropic:", "openai:", "scripted:"})
        if (model.rfind(prefix, 0) == 0) model_name_ = model.substr(std::string(prefix).size());
    } catch (const SessionGone&) {
      throw;
    } catch (const std::exception& e) {
      env_.reset();
      mcp_.clear();
      Batch b(id_, deferred_);
      error_event(b, "unknown_error", std::string("the session could not start: ") + e.what(),
                  "exhausted");
      go_idle(b, {{"type", "retries_exhausted"}});
      return false;
    }
    setup["total"] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    stats_["setup_ms"] = setup;
    stats_["startup_seconds"] = setup["total"].get<double>() / 1000.0;
    ready_ = true;
    return true;
  }

  // Refuses, before any request, a model cove cannot use: one behind a non-loopback URL
  // when offline, or the public Anthropic API without a key.
  void check_model(const std::string& model) const {
    const auto& m = shared_->config.models;
    std::string provider = m.provider;
    for (const char* p : {"anthropic", "openai", "scripted"})
      if (model.rfind(std::string(p) + ":", 0) == 0) provider = p;
    std::string url = provider == "anthropic" ? m.anthropic_base_url
                      : provider == "openai"  ? m.openai_base_url
                                              : std::string();
    if (shared_->config.offline && !url.empty() && !is_loopback_url(url))
      throw std::runtime_error("model " + model + ": " + offline_refusal(url));
    if (provider == "anthropic" && m.anthropic_api_key.empty() &&
        url.find("api.anthropic.com") != std::string::npos)
      throw std::runtime_error("model " + model +
                               ": no API key for the Anthropic API (set COVE_MODEL_API_KEY or "
                               "ANTHROPIC_API_KEY, or use --model-provider scripted|openai)");
  }

  std::string model_id() const {
    const json& m = agent_.value("model", json());
    if (m.is_string()) return m.get<std::string>();
    if (m.is_object()) return m.value("id", "");
    return "";
  }

  // The bearer token for an MCP server: a static_bearer credential of the session's vaults
  // whose mcp_server_url is the server's URL.
  std::string mcp_token(const store::Object& session, const std::string& url) {
    auto norm = [](std::string u) {
      while (!u.empty() && u.back() == '/')
        u.pop_back();
      return u;
    };
    for (const auto& vault_id : session.body.value("vault_ids", json::array())) {
      store::ObjectQuery q;
      q.kind = "credential";
      q.parent = vault_id.get<std::string>();
      q.include_archived = false;
      q.limit = 1000;
      for (const auto& cred : log_.store().list(q, nullptr)) {
        const json auth = cred.body.value("auth", json::object());
        if (auth.value("type", "") != "static_bearer") continue;
        if (norm(auth.value("mcp_server_url", "")) != norm(url)) continue;
        if (auto secret = log_.store().secret(cred.id)) return *secret;
      }
    }
    return "";
  }

  void connect_mcp(const StepRunner& step, const store::Object& session) {
    std::map<std::string, std::string> urls;
    for (const auto& s : agent_.value("mcp_servers", json::array()))
      urls[s.value("name", "")] = s.value("url", "");
    for (const auto& name : toolbox_->mcp_servers()) {
      auto url = urls[name];
      mcp::ServerConfig cfg;
      cfg.name = name;
      cfg.url = url;
      cfg.bearer_token = mcp_token(session, url);
      cfg.open_event_stream = false;
      auto client = std::make_unique<mcp::Client>(io_.get_executor(), cfg);
      try {
        if (auto why = netproxy::runtime_target_refusal(url, shared_->config.targets()))
          throw std::runtime_error(*why);
        step("mcp", name, [&] {
          net::block_on(io_, client->connect());
          auto tools = net::block_on(io_, client->list_tools());
          std::vector<json> list;
          for (const auto& t : tools)
            list.push_back({{"name", t.name},
                            {"description", t.description},
                            {"input_schema", t.input_schema}});
          toolbox_->add_mcp_tools(name, list);
        });
        mcp_[name] = std::move(client);
      } catch (const std::exception& e) {
        auto* m = dynamic_cast<const mcp::McpError*>(&e);
        bool auth = m && m->kind() == mcp::McpError::Kind::auth;
        Batch b(id_, deferred_);
        error_event(b, auth ? "mcp_authentication_failed_error" : "mcp_connection_failed_error",
                    m ? m->brief() : e.what(), "retrying", {{"mcp_server_name", name}});
        commit(b);
      }
    }
  }

  // ---- the loop ----

  void loop() {
    for (int n = 0;; ++n) {
      if (stopped()) return interrupted();
      if (n >= shared_->config.max_model_requests_per_turn) {
        Batch b(id_, deferred_);
        error_event(
            b, "tool_use_limit_reached_error",
            "the turn made " + std::to_string(n) + " model requests; cove stops a turn there",
            "exhausted");
        return go_idle(b, {{"type", "retries_exhausted"}});
      }
      Previews previews;
      std::string start_id;
      auto reply = request_model(previews, start_id);
      if (!reply) return;
      auto calls = record_reply(*reply, previews, start_id);
      if (calls.empty()) {
        std::string reason = reply->stop_reason == "refusal" ? "refusal" : "end_turn";
        return go_idle({{"type", reason}});
      }
      // The last result before the next model request rides on that request's start.
      std::size_t last_run = calls.size();
      for (std::size_t i = 0; i < calls.size(); ++i)
        if (calls[i].policy != Policy::ask) last_run = i;
      bool next_is_model = std::none_of(calls.begin(), calls.end(),
                                        [](const ToolCall& c) { return c.policy == Policy::ask; });
      for (std::size_t i = 0; i < calls.size(); ++i) {
        auto& c = calls[i];
        if (c.policy == Policy::ask) continue;
        if (stopped()) break;
        bool defer_it = next_is_model && i == last_run;
        if (c.policy == Policy::deny)
          emit_result(c, tools::ToolOutput::text(c.deny_reason, true), defer_it);
        else
          emit_result(c, execute(c.event_type, c.name, c.server, c.input), defer_it);
      }
      if (stopped()) return interrupted();
      if (!pending_.empty()) return requires_action();
    }
  }

  void emit_result(const PendingTool& p, const tools::ToolOutput& out) {
    ToolCall c{p.event_id, p.event_type, p.name, p.server, p.input, Policy::allow, {}};
    emit_result(c, out);
  }

  // The result event of a tool call; with `deferred`, committed with the next batch (the
  // next model request's start, which follows at once).
  void emit_result(const ToolCall& c, const tools::ToolOutput& out, bool deferred = false) {
    json fields = {{"content", out.content}, {"is_error", out.is_error}};
    if (c.event_type == "agent.mcp_tool_use") {
      fields["mcp_tool_use_id"] = c.event_id;
      defer(make_event("agent.mcp_tool_result", fields));
    } else {
      fields["tool_use_id"] = c.event_id;
      defer(make_event("agent.tool_result", fields));
    }
    if (deferred) return;
    Batch b(id_, deferred_);
    commit(b);
  }

  // One model request with retries. nullopt when the turn ended (already reported).
  std::optional<models::ModelReply> request_model(Previews& previews, std::string& start_id) {
    const auto& cfg = shared_->config;
    for (int attempt = 0;; ++attempt) {
      {
        Batch b(id_, deferred_);
        start_id = b.add(make_event("span.model_request_start"));
        commit(b);
      }
      previews = Previews{};
      models::ModelRequest req;
      req.model = model_name_;
      req.system = agent_.value("system", json()).is_string() ? agent_["system"].get<std::string>()
                                                              : std::string();
      req.messages = history_.messages();
      req.tools = toolbox_->definitions();
      models::StreamSink sink;
      sink.on_block_start = [&](int index, std::string_view type) {
        block_started(previews, index, type);
      };
      sink.on_text_delta = [&](int index, std::string_view text) {
        auto it = previews.text_slot.find(index);
        if (it == previews.text_slot.end()) return;
        json delta = {{"type", "event_delta"},
                      {"event_id", it->second.first},
                      {"delta",
                       {{"type", "content_delta"},
                        {"index", it->second.second},
                        {"content", {{"type", "text"}, {"text", text}}}}}};
        log_.preview(id_, "agent.message", net::sse_frame("event_delta", delta.dump()));
      };
      try {
        return net::block_on(io_, provider_->complete(req, sink, stop_token_));
      } catch (const models::ModelError& e) {
        Batch b(id_, deferred_);
        b.add(make_event("span.model_request_end", {{"model_request_start_id", start_id},
                                                    {"is_error", true},
                                                    {"model_usage", usage_json({})}}));
        if (e.kind() == models::ModelErrorKind::interrupted || stopped()) {
          commit(b);
          interrupted();
          return std::nullopt;
        }
        bool retry = e.retryable() && attempt < cfg.max_retries;
        error_event(b, model_error_type(e.kind()), e.what(), retry ? "retrying" : "exhausted");
        if (!retry) {
          go_idle(b, {{"type", "retries_exhausted"}});
          return std::nullopt;
        }
        set_status(b, "rescheduling");
        b.add(make_event("session.status_rescheduled"));
        commit(b);
        if (!sleep_for(backoff(attempt, e.retry_after()))) {
          interrupted();
          return std::nullopt;
        }
        Batch r(id_, deferred_);
        set_status(r, "running");
        r.add(make_event("session.status_running"));
        commit(r);
      }
    }
  }

  std::chrono::milliseconds backoff(int attempt,
                                    std::optional<std::chrono::milliseconds> retry_after) {
    const auto& cfg = shared_->config;
    if (retry_after) return std::min(*retry_after, std::chrono::milliseconds(cfg.retry_max * 2));
    auto base = cfg.retry_base * (1LL << std::min(attempt, 10));
    auto capped = std::min<std::chrono::milliseconds>(base, cfg.retry_max);
    std::uniform_int_distribution<int64_t> jitter(0, capped.count() / 4);
    return capped + std::chrono::milliseconds(jitter(rng_));
  }

  // Waits, or returns false as soon as the turn is interrupted.
  bool sleep_for(std::chrono::milliseconds d) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    return !cv.wait_for(lock, stop_token_, d, [] { return false; }) && !stopped();
  }

  void block_started(Previews& p, int index, std::string_view type) {
    if (type == "text") {
      if (!p.last_text) {
        p.message_id = new_id("sevt");
        p.slots = 0;
        json start = {{"type", "event_start"},
                      {"event", {{"type", "agent.message"}, {"id", p.message_id}}}};
        log_.preview(id_, "agent.message", net::sse_frame("event_start", start.dump()));
      }
      p.text_slot[index] = {p.message_id, p.slots++};
      p.last_text = true;
      return;
    }
    p.last_text = false;
    if (type == "thinking" || type == "redacted_thinking") {
      std::string id = new_id("sevt");
      p.thinking_id[index] = id;
      json start = {{"type", "event_start"}, {"event", {{"type", "agent.thinking"}, {"id", id}}}};
      log_.preview(id_, "agent.thinking", net::sse_frame("event_start", start.dump()));
    }
  }

  static json usage_json(const models::Usage& u) {
    return {{"input_tokens", u.input_tokens},
            {"output_tokens", u.output_tokens},
            {"cache_creation_input_tokens", u.cache_creation_input_tokens},
            {"cache_read_input_tokens", u.cache_read_input_tokens}};
  }

  void add_usage(const models::Usage& u) {
    auto bump = [&](const char* key, int64_t v) {
      usage_[key] = usage_.value(key, int64_t{0}) + v;
    };
    bump("input_tokens", u.input_tokens);
    bump("output_tokens", u.output_tokens);
    bump("cache_read_input_tokens", u.cache_read_input_tokens);
    json cc = usage_.value("cache_creation", json::object());
    cc["ephemeral_5m_input_tokens"] =
        cc.value("ephemeral_5m_input_tokens", int64_t{0}) + u.cache_creation_input_tokens;
    if (!cc.contains("ephemeral_1h_input_tokens")) cc["ephemeral_1h_input_tokens"] = 0;
    usage_["cache_creation"] = cc;
  }

  // Persists what the model said, in content order, closed by the span's end; returns the
  // tool calls with their decisions.
  std::vector<ToolCall> record_reply(const models::ModelReply& reply, const Previews& previews,
                                     const std::string& start_id) {
    Batch b(id_, deferred_);
    std::vector<ToolCall> calls;
    json text = json::array();
    std::string text_id;
    auto flush_text = [&] {
      if (!text.empty()) b.add(make_event("agent.message", {{"content", text}}, text_id));
      text = json::array();
      text_id.clear();
    };
    const json& content = reply.content;
    for (std::size_t i = 0; i < content.size(); ++i) {
      const json& block = content[i];
      std::string type = block.value("type", "");
      int index = static_cast<int>(i);
      if (type == "text") {
        if (text.empty()) {
          auto it = previews.text_slot.find(index);
          text_id = it != previews.text_slot.end() ? it->second.first : std::string();
        }
        if (!block.value("text", "").empty())
          text.push_back({{"type", "text"}, {"text", block["text"]}});
        continue;
      }
      flush_text();
      if (type == "thinking" || type == "redacted_thinking") {
        auto it = previews.thinking_id.find(index);
        b.add(make_event("agent.thinking", json::object(),
                         it != previews.thinking_id.end() ? it->second : std::string()));
      } else if (type == "tool_use") {
        calls.push_back(tool_use_event(b, block));
      }
    }
    flush_text();
    b.add(make_event("span.model_request_end", {{"model_request_start_id", start_id},
                                                {"is_error", false},
                                                {"model_usage", usage_json(reply.usage)}}));
    add_usage(reply.usage);
    b.writes.set_field(id_, "usage", usage_);
    commit(b);
    return calls;
  }

  ToolCall tool_use_event(Batch& b, const json& block) {
    std::string name = block.value("name", "");
    json input = block.value("input", json::object());
    Decision d = toolbox_->decide(name, input);
    const ToolEntry* entry = toolbox_->find(name);
    ToolCall c;
    c.input = input;
    c.policy = d.policy;
    c.deny_reason = d.reason;
    std::string permission = d.policy == Policy::allow ? "allow"
                             : d.policy == Policy::ask ? "ask"
                                                       : "deny";
    if (entry && entry->kind == ToolKind::custom) {
      c.event_type = "agent.custom_tool_use";
      c.name = name;
      c.event_id = b.add(make_event(c.event_type, {{"name", name}, {"input", input}}));
      return c;
    }
    json ev = {{"input", input}, {"evaluated_permission", permission}};
    if (!d.evaluation.is_null()) ev["evaluation"] = d.evaluation;
    if (entry && entry->kind == ToolKind::mcp) {
      c.event_type = "agent.mcp_tool_use";
      c.name = entry->name;
      c.server = entry->server;
      ev["mcp_server_name"] = entry->server;
      ev["name"] = entry->name;
    } else {
      c.event_type = "agent.tool_use";
      c.name = name;
      ev["name"] = name;
    }
    c.event_id = b.add(make_event(c.event_type, ev));
    return c;
  }

  // ---- tools ----

  tools::ToolOutput execute(const std::string& event_type, const std::string& name,
                            const std::string& server, const json& input) {
    try {
      if (event_type == "agent.mcp_tool_use") return call_mcp(server, name, input);
      if (!env_) return tools::ToolOutput::text("the session has no sandbox", true);
      auto token = stop_token_;
      if (name == "bash") return env_->shell().run(input, token);
      if (name == "read") return env_->workspace().read(input, token);
      if (name == "write") return env_->workspace().write(input, token);
      if (name == "edit") return env_->workspace().edit(input, token);
      if (name == "glob") return env_->workspace().glob(input, token);
      if (name == "grep") return env_->workspace().grep(input, token);
      if (name == "web_fetch") return web_fetch(input);
      if (name == "web_search")
        return tools::ToolOutput::text(
            "web_search is not available: cove has no search backend configured. Use web_fetch "
            "with a known URL instead.",
            true);
      return tools::ToolOutput::text("unknown tool " + name, true);
    } catch (const std::exception& e) {
      return tools::ToolOutput::text(name + " failed: " + e.what(), true);
    }
  }

  tools::ToolOutput web_fetch(const json& input) {
    std::string url = input.value("url", "");
    if (url.empty()) return tools::ToolOutput::text("web_fetch needs a url", true);
    try {
      auto r = shared_->proxies().fetch(env_->policy(), url, 100 * 1024, std::chrono::seconds(30));
      std::string text = r.body;
      if (r.truncated) text += "\n[... content truncated at 100 KiB ...]";
      bool error = r.status >= 400;
      if (error) text = "HTTP " + std::to_string(r.status) + "\n" + text;
      return tools::ToolOutput::text(text, error);
    } catch (const netproxy::PolicyError& e) {
      return tools::ToolOutput::text(std::string("refused by the network policy: ") + e.what(),
                                     true);
    }
  }

  tools::ToolOutput call_mcp(const std::string& server, const std::string& name,
                             const json& input) {
    auto it = mcp_.find(server);
    if (it == mcp_.end())
      return tools::ToolOutput::text("MCP server " + server + " is not connected", true);
    mcp::CallOptions options;
    options.stop = stop_token_;
    auto result = net::block_on(io_, it->second->call_tool(name, input, options));
    tools::ToolOutput out;
    out.content = mcp_content(result);
    out.is_error = result.is_error;
    return out;
  }

  // ---- state ----

  std::string id_;
  std::shared_ptr<RunnerShared> shared_;
  EventLog& log_;
  std::thread thread_;
  std::mutex join_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WokenEvent> queue_;
  bool closing_ = false;
  bool working_ = false;
  std::stop_source stop_;
  std::stop_token stop_token_;

  // Touched only by the session's thread.
  bool loaded_ = false;
  bool ready_ = false;
  std::string status_ = "idle";
  int64_t created_ms_ = 0;
  json agent_;
  json usage_ = json::object();
  json stats_ = json::object();
  int64_t active_ms_ = 0;
  std::optional<Clock::time_point> turn_started_;
  History history_;
  std::vector<PendingTool> pending_;
  std::vector<json> deferred_;
  std::unique_ptr<Toolbox> toolbox_;
  boost::asio::io_context io_;
  std::unique_ptr<Environment> env_;
  std::map<std::string, std::unique_ptr<mcp::Client>> mcp_;
  std::unique_ptr<models::Provider> provider_;
  std::string model_name_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

std::shared_ptr<AgentSession> AgentSession::create(std::string session_id,
                                                   std::shared_ptr<RunnerShared> shared) {
  auto s = std::make_shared<Session>(std::move(session_id), std::move(shared));
  s->start();
  return s;
}

}  // namespace cove::sessions
