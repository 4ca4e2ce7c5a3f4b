// `cove run [--repo URL[@branch]]... [--model M] [--mcp NAME=URL]... "task"`: finds or
// creates the agent of this configuration, an environment and a session on a running daemon
// (or an embedded one when none answers), sends the task, prints live progress and exits when
// the session stops. `--session ID` sends the task to an existing session instead. A
// repository or MCP server that cannot be set up stops the run before the first model request
// (the session's metadata asks the daemon to), unless --keep-going. Ctrl-C interrupts the
// session; a second Ctrl-C leaves it running (or stops the embedded daemon).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "runtime/api/server.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/ctrl_c.hpp"
#include "runtime/cli/daemon_home.hpp"
#include "runtime/cli/daemon_target.hpp"
#include "runtime/cli/embedded_daemon.hpp"
#include "runtime/client/run_agent.hpp"
#include "runtime/client/run_session.hpp"
#include "runtime/domain/session.hpp"
#include "runtime/models/config.hpp"

namespace cove::cli {

namespace {

using json = nlohmann::json;

struct RunArgs {
  std::vector<std::string> repos;
  std::vector<std::string> mcp;
  std::string model;
  std::string system;
  std::string url;
  std::string api_key;
  std::string home;
  std::string environment = "cove-run";
  std::string session;
  bool json_output = false;
  bool embedded = false;
  bool keep_going = false;
  std::string task;
};

// The daemon a run talks to: one that answers at its URL, or one in this process.
struct Daemon {
  std::unique_ptr<EmbeddedDaemon> embedded;
  std::unique_ptr<client::ApiClient> api;
  std::string url;
  std::string key;
};

std::string env_value(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

// NAME → COVE_MCP_TOKEN_NAME (upper case, other characters as '_').
std::string mcp_token_variable(const std::string& name) {
  std::string var = "COVE_MCP_TOKEN_";
  for (char c : name)
    var += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  return var;
}

// "URL@branch" → resource. A trailing "@x" only counts as a branch when it follows the path
// (user@host URLs keep their '@').
json repo_resource(const std::string& spec, const std::string& token) {
  std::string url = spec;
  std::string branch;
  auto at = spec.rfind('@');
  auto slash = spec.rfind('/');
  if (at != std::string::npos && slash != std::string::npos && at > slash) {
    url = spec.substr(0, at);
    branch = spec.substr(at + 1);
  }
  json r = {{"type", "github_repository"}, {"url", url}};
  if (!branch.empty()) r["checkout"] = {{"type", "branch"}, {"name", branch}};
  if (!token.empty()) r["authorization_token"] = token;
  return r;
}

// The environment named `name`, created when missing.
std::string environment_id(client::ApiClient& api, const std::string& name) {
  std::string page;
  for (;;) {
    auto list = api.get("/v1/environments?limit=100" + (page.empty() ? "" : "&page=" + page));
    for (const auto& e : list["data"])
      if (e.value("name", "") == name) return e["id"];
    if (list["next_page"].is_null()) break;
    page = list["next_page"];
  }
  auto env =
      api.post("/v1/environments",
               {{"name", name},
                {"config", {{"type", "cloud"}, {"networking", {{"type", "unrestricted"}}}}}});
  return env["id"];
}

// The model id of the run: --model, else COVE_MODEL, else the Anthropic default. A script
// named by a relative path is made absolute for the embedded daemon, whose client is us.
std::string run_model(const RunArgs& a) {
  std::string model = !a.model.empty() ? a.model : env_value("COVE_MODEL");
  if (model.empty()) return "claude-sonnet-4-6";
  const std::string prefix = "scripted:";
  if (model.rfind(prefix, 0) == 0 && model.find('/', prefix.size()) != std::string::npos &&
      model[prefix.size()] != '/')
    model = prefix + std::filesystem::absolute(model.substr(prefix.size())).string();
  return model;
}

// The daemon owns the model settings: set in this process, they do nothing for another one.
void warn_about_model_settings(const std::string& url) {
  for (const char* v :
       {"COVE_MODEL_PROVIDER", "COVE_MODEL_BASE_URL", "COVE_MODEL_API_KEY", "COVE_MODEL_SCRIPT",
        "COVE_MODEL_SCRIPTS_DIR", "COVE_OPENAI_BASE_URL", "COVE_OPENAI_API_KEY"})
    if (!env_value(v).empty())
      std::cerr << "cove run: " << v << " is set here, but the daemon at " << url
                << " owns the model settings and does not see it; set it where `cove serve` "
                   "runs\n";
}

// A daemon in this process on `home`, after checking that it can play `model` (unless empty).
void start_embedded(Daemon& d, const std::string& home, const std::string& model) {
  DaemonHome locked_home(home);
  auto options = server_options(home);
  // The only API client of this daemon is the person running it: their URLs may name
  // services on this machine (a local forge or MCP server), their model a script anywhere.
  options.runner.allow_private_targets = true;
  options.runner.models.allow_script_paths = true;
  // A follow-up (--session) plays the session's own model, which only the daemon knows.
  if (auto why =
          model.empty() ? std::nullopt : models::config_problem(options.runner.models, model))
    throw std::runtime_error("the daemon in this process cannot play model '" + model +
                             "': " + *why);
  d.embedded = std::make_unique<EmbeddedDaemon>(std::move(locked_home), options);
  d.url = d.embedded->base_url();
  d.key = d.embedded->api_key();
  d.api = std::make_unique<client::ApiClient>(d.url, d.key);
}

// The daemon at --url / COVE_URL / the default URL, or one in this process when --embedded
// or when nothing answers at the default URL. Returns false (after one line) when a daemon
// the user named does not answer.
bool connect(const RunArgs& a, const std::string& model, Daemon& d) {
  DaemonTarget target = resolve_daemon({a.url, a.api_key, a.home});
  bool named = target.url_source != "the default";
  d.url = target.url;
  d.key = target.api_key;
  d.api = std::make_unique<client::ApiClient>(d.url, d.key);
  if (!a.embedded && d.api->reachable()) {
    warn_about_model_settings(d.url);
    return true;
  }
  if (!a.embedded && named) {
    std::cerr << "cove run: no daemon answers at " << d.url << " (" << target.url_source
              << "); start `cove serve` there, or give no URL to run a daemon in this process\n";
    return false;
  }
  if (!a.embedded)
    std::cerr << "cove run: no daemon answers at " << d.url << "; running one in this process\n";
  start_embedded(d, target.home, model);
  return true;
}

// The agent request of a run, and the vault credentials its MCP servers need.
json agent_request(const RunArgs& a, const std::string& model, json& credentials) {
  json tools = json::array({{{"type", "agent_toolset_20260401"}}});
  json servers = json::array();
  for (const auto& spec : a.mcp) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw std::invalid_argument("--mcp takes NAME=URL, got: " + spec);
    std::string name = spec.substr(0, eq);
    std::string server_url = spec.substr(eq + 1);
    servers.push_back({{"type", "url"}, {"name", name}, {"url", server_url}});
    // `cove run` is not interactive: the tools of servers named on its command line run
    // without asking.
    tools.push_back({{"type", "mcp_toolset"},
                     {"mcp_server_name", name},
                     {"default_config", {{"permission_policy", {{"type", "always_allow"}}}}}});
    if (auto token = env_value(mcp_token_variable(name)); !token.empty())
      credentials.push_back(
          {{"display_name", name},
           {"auth",
            {{"type", "static_bearer"}, {"mcp_server_url", server_url}, {"token", token}}}});
  }
  json req = {{"name", "cove run"}, {"model", model}, {"tools", tools}};
  if (!servers.empty()) req["mcp_servers"] = servers;
  if (!a.system.empty()) req["system"] = a.system;
  return req;
}

// A new session of the run's agent, with its repositories and MCP credentials.
std::string create_session(const RunArgs& a, const json& agent, const json& credentials,
                           client::ApiClient& api) {
  json session_req = {{"agent", client::find_or_create_agent(api, agent)},
                      {"environment_id", environment_id(api, a.environment)},
                      {"title", a.task.substr(0, 200)}};
  if (!a.keep_going) session_req["metadata"] = {{domain::kStopOnSetupFailure, "stop"}};
  std::string token = env_value("COVE_REPO_TOKEN");
  if (token.empty()) token = env_value("GITHUB_TOKEN");
  json resources = json::array();
  for (const auto& r : a.repos)
    resources.push_back(repo_resource(r, token));
  if (!resources.empty()) session_req["resources"] = resources;
  if (!credentials.empty()) {
    auto vault = api.post("/v1/vaults", {{"display_name", "cove run"}});
    for (const auto& c : credentials)
      api.post("/v1/vaults/" + vault["id"].get<std::string>() + "/credentials", c);
    session_req["vault_ids"] = json::array({vault["id"]});
  }
  return api.post("/v1/sessions", session_req)["id"];
}

// The repository or MCP server whose set-up failed, as "repository URL: message".
std::string setup_failure(const std::vector<json>& errors) {
  for (const auto& e : errors) {
    if (!e.is_object()) continue;
    if (e.contains("repository_url"))
      return "repository " + e.value("repository_url", "") + ": " + e.value("message", "");
    if (e.contains("mcp_server_name"))
      return "MCP server " + e.value("mcp_server_name", "") + ": " + e.value("message", "");
  }
  return "";
}

// The exit code of a finished run, after one line on stderr when it did not end its turn.
int report(const client::RunResult& r, const std::string& session_id, const Daemon& d) {
  if (r.stop == "end_turn") return 0;
  if (r.stop == "requires_action") {
    std::cerr << "cove run: the session waits for a tool confirmation or a custom tool result ("
              << session_id << ")\n";
    return 3;
  }
  std::string failure = setup_failure(r.errors);
  if (r.stop == domain::stop_reason::kRetriesExhausted && !failure.empty() && r.errors.size() > 1) {
    std::cerr << "cove run: " << failure
              << "; stopped before the first model request (--keep-going runs the task "
                 "without it)\n";
    return 1;
  }
  std::string where = d.embedded ? "" : " (the daemon at " + d.url + ")";
  if (!r.errors.empty() && r.errors.back().is_object())
    std::cerr << "cove run: " << r.errors.back().value("message", "the session failed") << where
              << "\n";
  else
    std::cerr << "cove run: the session stopped: " << r.stop << where << "\n";
  return 1;
}

int run(const RunArgs& a) {
  std::string model = run_model(a);
  json credentials = json::array();
  json agent = agent_request(a, model, credentials);  // checks the arguments first
  Daemon d;
  if (!connect(a, a.session.empty() ? model : "", d)) return 1;
  std::string session_id =
      a.session.empty() ? create_session(a, agent, credentials, *d.api) : a.session;
  if (!a.json_output) std::cout << "session " << session_id << "\n";

  CtrlC ctrl_c(
      [&d, &session_id] {
        std::cerr << "\ncove run: interrupting session " << session_id << " (Ctrl-C again to "
                  << (d.embedded ? "stop the daemon in this process" : "detach") << ")\n";
        try {
          client::ApiClient(d.url, d.key)
              .post("/v1/sessions/" + session_id + "/events",
                    {{"events", json::array({{{"type", "user.interrupt"}}})}});
        } catch (const std::exception& e) {
          std::cerr << "cove run: the interrupt was not sent: " << e.what() << "\n";
        }
      },
      [&] { d.api->cancel_stream(); });

  client::RunOptions options;
  options.json = a.json_output;
  options.color = !a.json_output && ::isatty(STDOUT_FILENO);
  auto result = client::run_task(*d.api, session_id, a.task, options, std::cout);
  std::cout.flush();
  if (ctrl_c.presses() >= 2) {
    if (d.embedded) {
      std::cerr << "cove run: stopping the daemon in this process\n";
      return 130;
    }
    std::cerr << "cove run: detached; session " << session_id
              << " goes on. Re-attach with: cove attach " << session_id << "\n";
    // Leave now: the interrupt may still be on its way to a daemon that does not answer, and
    // this process holds nothing that needs cleaning up (no daemon of its own).
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(130);
  }
  if (ctrl_c.presses() == 1) {
    std::cerr << "cove run: interrupted; session " << session_id << " is idle (follow up with: "
              << "cove run --session " << session_id << " \"...\")\n";
    return 130;
  }
  return report(result, session_id, d);
}

}  // namespace

void add_run_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run one task in a new session and print its progress");
  cmd->add_option("--repo", a->repos,
                  "repository to mount at /workspace/NAME, as URL or URL@branch (token from "
                  "env COVE_REPO_TOKEN or GITHUB_TOKEN)");
  cmd->add_option("--mcp", a->mcp,
                  "MCP server NAME=URL (bearer token from env COVE_MCP_TOKEN_<NAME>)");
  cmd->add_option("--model", a->model,
                  "model id (env COVE_MODEL; prefixes anthropic:, openai:, scripted: pick the "
                  "provider; scripted:FILE may be a path with --embedded)");
  cmd->add_option("--system", a->system, "system prompt");
  cmd->add_option("--url", a->url, "daemon URL (env COVE_URL, default http://127.0.0.1:8420)");
  cmd->add_option("--api-key", a->api_key,
                  "the daemon's cove API key (env COVE_API_KEY, or the home's); never a model "
                  "key: the daemon owns those");
  cmd->add_option("--home", a->home, "state directory (env COVE_HOME)");
  cmd->add_option("--environment", a->environment, "environment name (created when missing)");
  cmd->add_option("--session", a->session,
                  "send the task to this existing session (a follow-up) instead of a new one");
  cmd->add_flag("--embedded", a->embedded, "always run a daemon in this process");
  cmd->add_flag("--keep-going", a->keep_going,
                "run the task even when a repository or MCP server cannot be set up");
  cmd->add_flag("--json", a->json_output, "print the raw events, one JSON object per line");
  cmd->add_option("task", a->task, "what the agent should do (one argument: quote it)")->required();
  cmd->callback([a, &exit_code] {
    try {
      exit_code = run(*a);
    } catch (const std::exception& e) {
      std::cerr << "cove run: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace cove::cli
