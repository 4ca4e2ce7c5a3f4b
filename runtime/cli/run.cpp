// `cove run [--repo URL[@branch]]... [--model M] [--mcp NAME=URL]... "task"`: creates an
// agent, an environment and a session on a running daemon (or an embedded one when none
// answers), sends the task, prints live progress and exits when the session stops.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>

#include "runtime/api/server.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_home.hpp"
#include "runtime/cli/embedded_daemon.hpp"
#include "runtime/client/run_session.hpp"

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
  bool json_output = false;
  bool embedded = false;
  std::string task;
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

int run(const RunArgs& a) {
  std::string home = a.home.empty() ? default_home() : a.home;
  std::string url = !a.url.empty() ? a.url : env_value("COVE_URL");
  // A daemon the user named must answer; only the default one may be replaced by our own.
  bool named = !url.empty();
  if (!named) url = "http://127.0.0.1:8420";
  std::string key = !a.api_key.empty() ? a.api_key : env_value("COVE_API_KEY");
  if (key.empty()) key = read_key(home);

  std::unique_ptr<EmbeddedDaemon> daemon;
  auto api = std::make_unique<client::ApiClient>(url, key);
  if (a.embedded || !api->reachable()) {
    if (!a.embedded && named) {
      std::cerr << "cove run: no daemon answers at " << url << " ("
                << (a.url.empty() ? "COVE_URL" : "--url")
                << "); start `cove serve` there, or give no URL to run a daemon in this process\n";
      return 1;
    }
    DaemonHome locked_home(home);
    if (!a.embedded)
      std::cerr << "cove run: no daemon answers at " << url << "; running one in this process\n";
    auto options = server_options(home);
    // The only API client of this daemon is the person running it: their URLs may name
    // services on this machine (a local forge or MCP server).
    options.runner.allow_private_targets = true;
    daemon = std::make_unique<EmbeddedDaemon>(std::move(locked_home), options);
    api = std::make_unique<client::ApiClient>(daemon->base_url(), daemon->api_key());
  }

  std::string model = a.model;
  if (model.empty()) model = env_value("COVE_MODEL");
  if (model.empty()) model = "claude-sonnet-4-6";

  json tools = json::array({{{"type", "agent_toolset_20260401"}}});
  json servers = json::array();
  json credentials = json::array();
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
  json agent_req = {{"name", "cove run"}, {"model", model}, {"tools", tools}};
  if (!servers.empty()) agent_req["mcp_servers"] = servers;
  if (!a.system.empty()) agent_req["system"] = a.system;
  auto agent = api->post("/v1/agents", agent_req);

  json session_req = {{"agent", agent["id"]},
                      {"environment_id", environment_id(*api, a.environment)},
                      {"title", a.task.substr(0, 200)}};
  std::string token = env_value("COVE_REPO_TOKEN");
  if (token.empty()) token = env_value("GITHUB_TOKEN");
  json resources = json::array();
  for (const auto& r : a.repos)
    resources.push_back(repo_resource(r, token));
  if (!resources.empty()) session_req["resources"] = resources;
  if (!credentials.empty()) {
    auto vault = api->post("/v1/vaults", {{"display_name", "cove run"}});
    for (const auto& c : credentials)
      api->post("/v1/vaults/" + vault["id"].get<std::string>() + "/credentials", c);
    session_req["vault_ids"] = json::array({vault["id"]});
  }
  auto session = api->post("/v1/sessions", session_req);
  std::string session_id = session["id"];
  if (!a.json_output) std::cout << "session " << session_id << " · model " << model << "\n";

  client::RunOptions options;
  options.json = a.json_output;
  options.color = !a.json_output && ::isatty(STDOUT_FILENO);
  std::string stop = client::run_task(*api, session_id, a.task, options, std::cout);
  if (stop == "end_turn") return 0;
  if (stop == "requires_action") {
    std::cerr << "cove run: the session waits for a tool confirmation or a custom tool result ("
              << session_id << ")\n";
    return 3;
  }
  std::cerr << "cove run: the session stopped: " << stop << "\n";
  return 1;
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
                  "provider)");
  cmd->add_option("--system", a->system, "system prompt");
  cmd->add_option("--url", a->url, "daemon URL (env COVE_URL, default http://127.0.0.1:8420)");
  cmd->add_option("--api-key", a->api_key, "daemon API key (env COVE_API_KEY, or the home's)");
  cmd->add_option("--home", a->home, "state directory (env COVE_HOME)");
  cmd->add_option("--environment", a->environment, "environment name (created when missing)");
  cmd->add_flag("--embedded", a->embedded, "always run a daemon in this process");
  cmd->add_flag("--json", a->json_output, "print the raw events, one JSON object per line");
  cmd->add_option("task", a->task, "what the agent should do")->required();
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
