#include "runtime/sessions/session_setup.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "mcp/client.hpp"
#include "net/block_on.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_environment.hpp"
#include "runtime/sessions/session_error.hpp"
#include "runtime/sessions/stored_objects.hpp"

namespace cove::sessions {

namespace {

using Clock = std::chrono::steady_clock;
namespace event_type = domain::event_type;
namespace session_error = domain::session_error;
using domain::kStopOnSetupFailure;

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

// The URL of the agent's MCP server `name` (empty when the agent names no such server).
std::string server_url(const domain::AgentConfig& agent, const std::string& name) {
  for (const auto& server : agent.mcp_servers)
    if (server.name == name) return server.url;
  return "";
}

class SandboxSetup final : public SessionSetup {
 public:
  SandboxSetup(RunnerShared& shared, std::string session_id)
      : shared_(shared), id_(std::move(session_id)) {}

  bool ensure_ready(const domain::Session& session, Toolbox& toolbox, EventWriter& events) override;
  bool ready() const override { return ready_; }
  sandbox::Sandbox* sandbox() override { return ready_ ? &env_->sandbox() : nullptr; }
  std::string workdir() const override { return env_ ? env_->workdir() : "/workspace"; }
  ModelClient& model() override { return *model_; }
  ToolRunner& tools() override { return *tools_; }

 private:
  void build(const domain::Session& session, Toolbox& toolbox, EventWriter& events,
             const StepRunner& step);
  void run_step(EventWriter& events, json& timings, const std::string& name,
                const std::string& what, const std::function<void()>& work);
  void prepare_environment(const domain::Session& session, EventWriter& events,
                           const StepRunner& step);
  void connect_mcp(const domain::Session& session, Toolbox& toolbox, EventWriter& events,
                   const StepRunner& step);
  void connect_mcp_server(const std::string& name, const std::string& url,
                          const domain::Session& session, Toolbox& toolbox, const StepRunner& step);
  void start_model(const std::string& model_id, const StepRunner& step);
  void check_model(const std::string& model_id) const;
  bool stop(EventWriter& events, const std::string& type, const std::string& message);

  // The first resource or MCP server that could not be set up (its session.error type and
  // message): the session goes on without it unless it asked to stop (kStopOnSetupFailure).
  std::optional<std::pair<std::string, std::string>> first_failure_;

  RunnerShared& shared_;
  std::string id_;
  bool ready_ = false;
  // Torn down in reverse: tools, MCP clients, environment, model, io.
  boost::asio::io_context io_;
  std::unique_ptr<ModelClient> model_;
  std::unique_ptr<SessionEnvironment> env_;
  McpClients mcp_;
  std::unique_ptr<ToolRunner> tools_;
};

bool SandboxSetup::ensure_ready(const domain::Session& session, Toolbox& toolbox,
                                EventWriter& events) {
  if (ready_) return true;
  auto t0 = Clock::now();
  json timings = json::object();
  StepRunner step = [&](const std::string& name, const std::string& what,
                        std::function<void()> work) {
    run_step(events, timings, name, what, work);
  };
  first_failure_.reset();
  try {
    build(session, toolbox, events, step);
  } catch (const SessionGone&) {
    throw;
  } catch (const std::exception& e) {
    return stop(events, session_error_type(e),
                std::string("the session could not start: ") + e.what());
  }
  auto setting = session.metadata.find(kStopOnSetupFailure);
  if (first_failure_ && setting != session.metadata.end() && setting->second == "stop")
    return stop(events, first_failure_->first,
                "set-up failed (" + first_failure_->second +
                    "); the turn stopped before any model request, as the session's metadata " +
                    kStopOnSetupFailure + "=stop asks");
  timings["total"] = ms_since(t0);
  events.stats()["setup_ms"] = timings;
  events.stats()["startup_seconds"] = timings["total"].get<double>() / 1000.0;
  ready_ = true;
  return true;
}

// Tears down what set-up built and ends the turn with `message`. Nothing was retried, but
// retries_exhausted is the stop reason the API has for a turn an error ended. The next turn
// sets up again.
bool SandboxSetup::stop(EventWriter& events, const std::string& type, const std::string& message) {
  tools_.reset();
  env_.reset();
  mcp_.clear();
  model_.reset();
  events.defer(EventWriter::error_event(type, message, session_error::kExhausted));
  events.go_idle({{"type", domain::stop_reason::kRetriesExhausted}});
  return false;
}

// The recipe. Throws when the session cannot start.
void SandboxSetup::build(const domain::Session& session, Toolbox& toolbox, EventWriter& events,
                         const StepRunner& step) {
  prepare_environment(session, events, step);        // repositories, sandbox, proxies, shell
  connect_mcp(session, toolbox, events, step);       // each MCP server's tools into the toolbox
  start_model(session.agent.config.model.id, step);  // checked, then its provider made
  tools_ = make_sandbox_tools(*env_, mcp_, io_, shared_);
}

// One set-up step between its span events. Steps that talk to the network can take long:
// their start is visible at once. The other starts and every end ride on the next commit
// (one fsync, not two per step).
void SandboxSetup::run_step(EventWriter& events, json& timings, const std::string& name,
                            const std::string& what, const std::function<void()>& work) {
  json start_event =
      EventWriter::make_event(event_type::kSpanSetupStepStart, {{"step", name}, {"name", what}});
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
  events.defer(EventWriter::make_event(event_type::kSpanSetupStepEnd, end));
  if (failure) std::rethrow_exception(failure);  // as it was: callers tell kinds apart
}

// The session's resources mounted in its sandbox, built from its environment's configuration.
// A repository that cannot be mounted is a session.error; the session goes on without it.
void SandboxSetup::prepare_environment(const domain::Session& session, EventWriter& events,
                                       const StepRunner& step) {
  auto& store = shared_.log.store();
  auto resources = read_resources(store, id_);
  auto environment = read_environment_config(store, session.environment_id);
  env_ = std::make_unique<SessionEnvironment>(shared_, id_);
  for (const auto& f : env_->prepare(resources, environment, step)) {
    if (!first_failure_) first_failure_.emplace(f.error_type, f.url + ": " + f.message);
    auto b = events.batch();
    // Nothing retries it: exhausted, though the session goes on without the repository.
    json fields = json::object();
    if (!f.url.empty()) fields["repository_url"] = f.url;
    b.add(EventWriter::error_event(f.error_type, f.message, session_error::kExhausted, fields));
    events.commit(b);
  }
}

// Each MCP server the agent's toolsets use. A server that cannot be used is a session.error;
// the session goes on without its tools.
void SandboxSetup::connect_mcp(const domain::Session& session, Toolbox& toolbox,
                               EventWriter& events, const StepRunner& step) {
  for (const auto& name : toolbox.mcp_servers()) {
    try {
      connect_mcp_server(name, server_url(session.agent.config, name), session, toolbox, step);
    } catch (const std::exception& e) {
      auto* m = dynamic_cast<const mcp::McpError*>(&e);
      std::string type = session_error_type(e, session_error::kMcpConnectionFailed);
      std::string message = m ? m->brief() : e.what();
      if (!first_failure_) first_failure_.emplace(type, "MCP server " + name + ": " + message);
      auto b = events.batch();
      // Nothing retries it: exhausted, though the session goes on without the server's tools.
      b.add(EventWriter::error_event(type, message, session_error::kExhausted,
                                     {{"mcp_server_name", name}}));
      events.commit(b);
    }
  }
}

// Connects with the bearer token the session's vaults hold for the server's URL, and adds
// the tools the server lists.
void SandboxSetup::connect_mcp_server(const std::string& name, const std::string& url,
                                      const domain::Session& session, Toolbox& toolbox,
                                      const StepRunner& step) {
  mcp::ServerConfig cfg;
  cfg.name = name;
  cfg.url = url;
  cfg.bearer_token = mcp_token(shared_.log.store(), session.vault_ids, url);
  cfg.open_event_stream = false;
  auto client = std::make_unique<mcp::Client>(io_.get_executor(), cfg);
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
}

// A step of its own, named for the provider that plays the model (a script may play a
// model id of the Anthropic API), so that clients can say what answers.
void SandboxSetup::start_model(const std::string& model_id, const StepRunner& step) {
  step("model", models::describe_model(shared_.config.models, model_id), [&] {
    check_model(model_id);
    auto provider = models::make_provider(io_.get_executor(), shared_.config.models, model_id, id_);
    model_ =
        std::make_unique<ProviderClient>(io_, std::move(provider), models::model_name(model_id));
  });
}

// Refuses, before any request, a model cove cannot use: one behind a non-loopback URL when
// offline, or one the configuration cannot serve (no key for the public Anthropic API, ...).
void SandboxSetup::check_model(const std::string& model_id) const {
  const auto& m = shared_.config.models;
  std::string url = models::provider_base_url(m, models::provider_name(m, model_id));
  if (shared_.config.offline && !url.empty() && !is_loopback_url(url))
    throw std::runtime_error("model " + model_id + ": " + offline_refusal(url));
  if (auto why = models::config_problem(m, model_id))
    throw std::runtime_error("model " + model_id + ": " + *why);
}

}  // namespace

std::unique_ptr<SessionSetup> make_session_setup(RunnerShared& shared, std::string session_id) {
  return std::make_unique<SandboxSetup>(shared, std::move(session_id));
}

}  // namespace cove::sessions
