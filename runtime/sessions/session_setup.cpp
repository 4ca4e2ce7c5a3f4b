#include "runtime/sessions/session_setup.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>

#include "mcp/client.hpp"
#include "net/block_on.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_environment.hpp"

namespace cove::sessions {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The session's model through its provider, each request run to completion on `io`.
class ProviderClient final : public ModelClient {
 public:
  ProviderClient(boost::asio::io_context& io, std::unique_ptr<models::Provider> provider,
                 std::string model_name)
      : io_(io), provider_(std::move(provider)), model_name_(std::move(model_name)) {}

  models::ModelReply complete(const models::ModelRequest& request, const models::StreamSink& sink,
                              std::stop_token stop) override {
    models::ModelRequest req = request;
    req.model = model_name_;
    return net::block_on(io_, provider_->complete(req, sink, stop));
  }

 private:
  boost::asio::io_context& io_;
  std::unique_ptr<models::Provider> provider_;
  std::string model_name_;
};

std::string model_id(const json& agent) {
  const json& m = agent.value("model", json());
  if (m.is_string()) return m.get<std::string>();
  if (m.is_object()) return m.value("id", "");
  return "";
}

class SandboxSetup final : public SessionSetup {
 public:
  SandboxSetup(RunnerShared& shared, std::string session_id)
      : shared_(shared), id_(std::move(session_id)) {}

  bool ensure_ready(const json& agent, Toolbox& toolbox, EventWriter& events) override;
  ModelClient& model() override { return *model_; }
  ToolRunner& tools() override { return *tools_; }

 private:
  void build(const json& agent, Toolbox& toolbox, EventWriter& events, const StepRunner& step);
  void run_step(EventWriter& events, json& timings, const std::string& name,
                const std::string& what, const std::function<void()>& work);
  void check_model(const std::string& model) const;
  std::string mcp_token(const store::Object& session, const std::string& url);
  void connect_mcp(const json& agent, Toolbox& toolbox, EventWriter& events, const StepRunner& step,
                   const store::Object& session);

  RunnerShared& shared_;
  std::string id_;
  bool ready_ = false;
  // Torn down in reverse: tools, MCP clients, environment, model, io.
  boost::asio::io_context io_;
  std::unique_ptr<ModelClient> model_;
  std::unique_ptr<Environment> env_;
  McpClients mcp_;
  std::unique_ptr<ToolRunner> tools_;
};

bool SandboxSetup::ensure_ready(const json& agent, Toolbox& toolbox, EventWriter& events) {
  if (ready_) return true;
  auto t0 = Clock::now();
  json timings = json::object();
  StepRunner step = [&](const std::string& name, const std::string& what,
                        std::function<void()> work) {
    run_step(events, timings, name, what, work);
  };
  try {
    build(agent, toolbox, events, step);
  } catch (const SessionGone&) {
    throw;
  } catch (const std::exception& e) {
    tools_.reset();
    env_.reset();
    mcp_.clear();
    events.defer(EventWriter::error_event(
        "unknown_error", std::string("the session could not start: ") + e.what(), "exhausted"));
    events.go_idle({{"type", "retries_exhausted"}});
    return false;
  }
  timings["total"] = ms_since(t0);
  events.stats()["setup_ms"] = timings;
  events.stats()["startup_seconds"] = timings["total"].get<double>() / 1000.0;
  ready_ = true;
  return true;
}

// The recipe. Throws when the session cannot start.
void SandboxSetup::build(const json& agent, Toolbox& toolbox, EventWriter& events,
                         const StepRunner& step) {
  auto& store = shared_.log.store();
  auto session = store.get(id_);
  if (!session) throw SessionGone();
  auto environment = store.get(session->body.value("environment_id", ""));
  store::ObjectQuery q;
  q.kind = "resource";
  q.parent = id_;
  q.limit = 1000;
  auto resources = store.list(q, nullptr);
  env_ = std::make_unique<Environment>(shared_, id_);
  auto failures = env_->prepare(resources, environment ? environment->body : json::object(), step);
  for (const auto& f : failures) {
    auto b = events.batch();
    b.add(
        EventWriter::error_event(f.error_type, f.message, "retrying", {{"repository_url", f.url}}));
    events.commit(b);
  }
  connect_mcp(agent, toolbox, events, step, *session);
  std::string model = model_id(agent);
  check_model(model);
  auto provider = models::make_provider(io_.get_executor(), shared_.config.models, model, id_);
  std::string name = model;
  for (const char* prefix : {"anthropic:", "openai:", "scripted:"})
    if (model.rfind(prefix, 0) == 0) name = model.substr(std::string(prefix).size());
  model_ = std::make_unique<ProviderClient>(io_, std::move(provider), name);
  tools_ = make_sandbox_tools(*env_, mcp_, io_, shared_);
}

// One set-up step between its span events. Steps that talk to the network can take long:
// their start is visible at once. The other starts and every end ride on the next commit
// (one fsync, not two per step).
void SandboxSetup::run_step(EventWriter& events, json& timings, const std::string& name,
                            const std::string& what, const std::function<void()>& work) {
  json start_event =
      EventWriter::make_event("span.setup_step_start", {{"step", name}, {"name", what}});
  std::string start = start_event["id"];
  events.defer(std::move(start_event));
  if (name == "repository" || name == "mcp") events.commit_deferred();
  auto s0 = Clock::now();
  std::string error;
  std::exception_ptr failure;
  try {
    work();
  } catch (const std::exception& e) {
    error = e.what();
    failure = std::current_exception();
  }
  double ms = ms_since(s0);
  timings[name] = timings.value(name, 0.0) + ms;
  json end = {{"setup_step_start_id", start},
              {"step", name},
              {"name", what},
              {"duration_ms", ms},
              {"is_error", !error.empty()}};
  if (!error.empty()) end["error"] = error;
  events.defer(EventWriter::make_event("span.setup_step_end", end));
  if (failure) std::rethrow_exception(failure);  // as it was: callers tell kinds apart
}

// Refuses, before any request, a model cove cannot use: one behind a non-loopback URL
// when offline, or the public Anthropic API without a key.
void SandboxSetup::check_model(const std::string& model) const {
  const auto& m = shared_.config.models;
  std::string provider = m.provider;
  for (const char* p : {"anthropic", "openai", "scripted"})
    if (model.rfind(std::string(p) + ":", 0) == 0) provider = p;
  std::string url = provider == "anthropic" ? m.anthropic_base_url
                    : provider == "openai"  ? m.openai_base_url
                                            : std::string();
  if (shared_.config.offline && !url.empty() && !is_loopback_url(url))
    throw std::runtime_error("model " + model + ": " + offline_refusal(url));
  if (provider == "anthropic" && m.anthropic_api_key.empty() &&
      url.find("api.anthropic.com") != std::string::npos)
    throw std::runtime_error("model " + model +
                             ": no API key for the Anthropic API (set COVE_MODEL_API_KEY or "
                             "ANTHROPIC_API_KEY, or use --model-provider scripted|openai)");
}

// The bearer token for an MCP server: a static_bearer credential of the session's vaults
// whose mcp_server_url is the server's URL.
std::string SandboxSetup::mcp_token(const store::Object& session, const std::string& url) {
  auto norm = [](std::string u) {
    while (!u.empty() && u.back() == '/')
      u.pop_back();
    return u;
  };
  auto& store = shared_.log.store();
  for (const auto& vault_id : session.body.value("vault_ids", json::array())) {
    store::ObjectQuery q;
    q.kind = "credential";
    q.parent = vault_id.get<std::string>();
    q.include_archived = false;
    q.limit = 1000;
    for (const auto& cred : store.list(q, nullptr)) {
      const json auth = cred.body.value("auth", json::object());
      if (auth.value("type", "") != "static_bearer") continue;
      if (norm(auth.value("mcp_server_url", "")) != norm(url)) continue;
      if (auto secret = store.secret(cred.id)) return *secret;
    }
  }
  return "";
}

void SandboxSetup::connect_mcp(const json& agent, Toolbox& toolbox, EventWriter& events,
                               const StepRunner& step, const store::Object& session) {
  std::map<std::string, std::string> urls;
  for (const auto& s : agent.value("mcp_servers", json::array()))
    urls[s.value("name", "")] = s.value("url", "");
  for (const auto& name : toolbox.mcp_servers()) {
    auto url = urls[name];
    mcp::ServerConfig cfg;
    cfg.name = name;
    cfg.url = url;
    cfg.bearer_token = mcp_token(session, url);
    cfg.open_event_stream = false;
    auto client = std::make_unique<mcp::Client>(io_.get_executor(), cfg);
    try {
      if (auto why = netproxy::runtime_target_refusal(url, shared_.config.targets()))
        throw std::runtime_error(*why);
      step("mcp", name, [&] {
        net::block_on(io_, client->connect());
        std::vector<json> list;
        for (const auto& t : net::block_on(io_, client->list_tools()))
          list.push_back(
              {{"name", t.name}, {"description", t.description}, {"input_schema", t.input_schema}});
        toolbox.add_mcp_tools(name, list);
      });
      mcp_[name] = std::move(client);
    } catch (const std::exception& e) {
      auto* m = dynamic_cast<const mcp::McpError*>(&e);
      bool auth = m && m->kind() == mcp::McpError::Kind::auth;
      auto b = events.batch();
      b.add(EventWriter::error_event(
          auth ? "mcp_authentication_failed_error" : "mcp_connection_failed_error",
          m ? m->brief() : e.what(), "retrying", {{"mcp_server_name", name}}));
      events.commit(b);
    }
  }
}

}  // namespace

std::unique_ptr<SessionSetup> make_session_setup(RunnerShared& shared, std::string session_id) {
  return std::make_unique<SandboxSetup>(shared, std::move(session_id));
}

}  // namespace cove::sessions
