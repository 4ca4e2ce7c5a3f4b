// `cove demo`: a complete repository workflow, offline and without an API key. A forge (the
// local GitHub stand-in) and a daemon start in a temporary home; a sample repository with a
// bug is created; a session with the scripted model reads the code, fixes it with `edit`,
// runs the checks with `bash`, commits on a new branch, pushes through the sandbox's git
// proxy and opens a pull request with the forge's MCP tools. The pull request's URL and diff
// are printed at the end.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "runtime/api/server.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_home.hpp"
#include "runtime/cli/embedded_daemon.hpp"
#include "runtime/client/run_session.hpp"
#include "runtime/client/terminal.hpp"
#include "runtime/forge/forge.hpp"
#include "runtime/models/config.hpp"

namespace cove::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kRepo = "demo/stats";
constexpr const char* kTask =
    "The checks in test_stats.py fail. Find the bug, fix it, make sure the checks pass, then "
    "push the fix on a new branch and open a pull request.";

// The sample repository: a small statistics module whose mean() floors its result.
const std::vector<std::pair<const char*, const char*>>& sample_files() {
  static const std::vector<std::pair<const char*, const char*>> files = {
      {"README.md",
       "# stats\n\nSmall statistics helpers. Run the checks with `python3 test_stats.py`.\n"},
      {".gitignore", "__pycache__/\n"},
      {"stats.py",
       "\"\"\"Small statistics helpers.\"\"\"\n"
       "\n"
       "\n"
       "def mean(values):\n"
       "    \"\"\"The arithmetic mean of a non-empty list of numbers.\"\"\"\n"
       "    return sum(values) // len(values)\n"
       "\n"
       "\n"
       "def spread(values):\n"
       "    \"\"\"The difference between the largest and the smallest value.\"\"\"\n"
       "    return max(values) - min(values)\n"},
      {"test_stats.py",
       "\"\"\"Checks for stats.py: one line per check; exits 1 when one fails.\"\"\"\n"
       "import sys\n"
       "\n"
       "from stats import mean, spread\n"
       "\n"
       "failures = 0\n"
       "\n"
       "\n"
       "def check(name, got, want):\n"
       "    global failures\n"
       "    ok = got == want\n"
       "    failures += not ok\n"
       "    print((\"ok   \" if ok else \"FAIL \") + f\"{name}: got {got!r}, want {want!r}\")\n"
       "\n"
       "\n"
       "check(\"mean([1, 2, 3, 4])\", mean([1, 2, 3, 4]), 2.5)\n"
       "check(\"mean([2, 4])\", mean([2, 4]), 3)\n"
       "check(\"spread([3, 9, 1])\", spread([3, 9, 1]), 8)\n"
       "sys.exit(1 if failures else 0)\n"},
  };
  return files;
}

json text_block(const std::string& text) {
  return {{"type", "text"}, {"text", text}};
}

json tool_use(int n, const std::string& name, json input) {
  return {{"type", "tool_use"},
          {"id", "toolu_demo_" + std::to_string(n)},
          {"name", name},
          {"input", std::move(input)}};
}

json turn(json content, const std::string& stop_reason, int in, int out) {
  return {{"content", std::move(content)},
          {"stop_reason", stop_reason},
          {"usage", {{"input_tokens", in}, {"output_tokens", out}}}};
}

// What the scripted model does in the demo, turn by turn.
json demo_script() {
  json turns = json::array();
  turns.push_back(turn({text_block("I'll run the checks first."),
                        tool_use(1, "bash", {{"command", "python3 test_stats.py"}})},
                       "tool_use", 1200, 40));
  turns.push_back(turn({text_block("One check fails. Let me read stats.py."),
                        tool_use(2, "read", {{"file_path", "stats.py"}})},
                       "tool_use", 1400, 30));
  turns.push_back(turn(
      {text_block("mean() uses floor division (//), which drops the fraction. It should divide "
                  "exactly."),
       tool_use(3, "edit",
                {{"file_path", "stats.py"},
                 {"old_string", "return sum(values) // len(values)"},
                 {"new_string", "return sum(values) / len(values)"}})},
      "tool_use", 1700, 90));
  turns.push_back(
      turn({tool_use(4, "bash", {{"command", "python3 test_stats.py"}})}, "tool_use", 1800, 25));
  turns.push_back(turn(
      {text_block("The checks pass. Committing on a new branch and pushing it."),
       tool_use(5, "bash",
                {{"command",
                  "git checkout -q -b fix-mean && git commit -q -am 'Fix mean(): use true "
                  "division' && git push -q origin fix-mean && echo 'pushed branch fix-mean'"}})},
      "tool_use", 1900, 60));
  turns.push_back(
      turn({tool_use(6, "mcp__github__create_pull_request",
                     {{"owner", "demo"},
                      {"repo", "stats"},
                      {"title", "Fix mean(): use true division"},
                      {"head", "fix-mean"},
                      {"base", "main"},
                      {"body",
                       "mean() used floor division (//), so mean([1, 2, 3, 4]) returned 2 instead "
                       "of 2.5. It now divides exactly, and `python3 test_stats.py` passes."}})},
           "tool_use", 2000, 80));
  turns.push_back(turn({text_block("Done: mean() now uses true division, the checks pass, and the "
                                   "fix is open as a pull request from fix-mean.")},
                       "end_turn", 2200, 35));
  return {{"turns", turns}};
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

struct DemoArgs {
  std::string home;
  bool keep = false;
  bool json_output = false;
};

// Everything that runs in `home`; stopped again before returning.
int demo_in(const DemoArgs& a, const fs::path& home) {
  DaemonHome locked_home(home);  // before anything is written into it
  bool color = !a.json_output && client::use_color(STDOUT_FILENO);
  auto say = [&](const std::string& text) {
    if (!a.json_output)
      std::cout << (color ? "\033[1m" : "") << text << (color ? "\033[0m" : "") << "\n";
  };

  // The forge, with the sample repository and a token for it.
  forge::ForgeOptions fo;
  fo.home = home / "forge";
  fo.port = 0;
  forge::Forge forge(fo);
  forge.listen();
  std::thread forge_thread([&] { forge.run(false); });
  struct StopForge {
    forge::Forge& f;
    std::thread& t;
    ~StopForge() {
      f.stop();
      if (t.joinable()) t.join();
    }
  } stop_forge{forge, forge_thread};

  fs::path sample = home / "sample";
  for (const auto& [name, content] : sample_files())
    write_file(sample / name, content);
  auto repo = forge.create_repo(kRepo, sample, false);
  auto token = forge.create_token(std::string(kRepo), false);
  say("forge    " + forge.base_url() + "  (repository " + repo.html_url + ")");

  // The daemon: offline, with the demo's scripted model.
  auto options = server_options(home.string());
  options.runner.offline = true;
  write_file(home / "scripts" / "demo.json", demo_script().dump(1) + "\n");
  if (auto why = models::config_problem(options.runner.models, "scripted:demo.json"))
    throw std::runtime_error("the demo's model cannot play: " + *why);
  EmbeddedDaemon daemon(std::move(locked_home), options);
  client::ApiClient api(daemon.base_url(), daemon.api_key());
  say("daemon   " + daemon.base_url() + "  (state in " + home.string() + ")");

  std::string mcp_url = forge.base_url() + "/mcp/";
  auto agent = api.post(
      "/v1/agents",
      {{"name", "demo fixer"},
       {"model", "scripted:demo.json"},
       {"system", "You fix bugs in repositories and open pull requests."},
       {"tools",
        json::array({{{"type", "agent_toolset_20260401"}},
                     {{"type", "mcp_toolset"},
                      {"mcp_server_name", "github"},
                      {"default_config", {{"permission_policy", {{"type", "always_allow"}}}}}}})},
       {"mcp_servers", json::array({{{"type", "url"}, {"name", "github"}, {"url", mcp_url}}})}});
  auto vault = api.post("/v1/vaults", {{"display_name", "demo"}});
  api.post(
      "/v1/vaults/" + vault["id"].get<std::string>() + "/credentials",
      {{"display_name", "forge"},
       {"auth", {{"type", "static_bearer"}, {"mcp_server_url", mcp_url}, {"token", token.token}}}});
  auto env = api.post(
      "/v1/environments",
      {{"name", "demo"}, {"config", {{"type", "cloud"}, {"networking", {{"type", "limited"}}}}}});
  auto session = api.post("/v1/sessions",
                          {{"agent", agent["id"]},
                           {"environment_id", env["id"]},
                           {"title", "Fix the failing checks"},
                           {"vault_ids", json::array({vault["id"]})},
                           {"resources", json::array({{{"type", "github_repository"},
                                                       {"url", repo.clone_url},
                                                       {"authorization_token", token.token}}})}});
  std::string session_id = session["id"];
  say("session  " + session_id + "\n");

  client::RunOptions run;
  run.json = a.json_output;
  run.color = color;
  std::string stop = client::run_task(api, session_id, kTask, run, std::cout).stop;

  auto pr = forge.pull_request(kRepo, 1);
  int code = stop == "end_turn" && pr ? 0 : 1;
  if (!a.json_output) {
    if (pr) {
      say("\npull request #1: " + pr->value("html_url", std::string()));
      std::cout << pr->value("title", std::string()) << "  (" << pr->value("state", std::string())
                << ", " << (*pr)["head"].value("ref", std::string()) << " → "
                << (*pr)["base"].value("ref", std::string()) << ")\n\n"
                << forge.pull_request_diff(kRepo, 1) << "\n";
    } else {
      std::cerr << "cove demo: no pull request was opened (the session stopped: " << stop << ")\n";
    }
  }
  return code;
}

int demo(const DemoArgs& a) {
  bool temporary = a.home.empty();
  fs::path home = temporary ? fs::path() : fs::path(a.home);
  if (temporary) {
    std::string tmpl = (fs::temp_directory_path() / "cove-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    home = tmpl;
  }
  int code = 1;
  try {
    code = demo_in(a, home);
  } catch (...) {
    if (temporary && !a.keep) {
      std::error_code ec;
      fs::remove_all(home, ec);
    }
    throw;
  }
  if (temporary && !a.keep) {
    std::error_code ec;
    fs::remove_all(home, ec);
  } else if (!a.json_output) {
    std::cout << "state kept in " << home.string() << "\n";
  }
  return code;
}

}  // namespace

void add_demo_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo", "Run an offline repository workflow: fix a bug, push a branch, open a pull request");
  cmd->add_option("--home", a->home, "state directory (default: a temporary one, removed after)");
  cmd->add_flag("--keep", a->keep, "keep the temporary state directory");
  cmd->add_flag("--json", a->json_output, "print the raw events, one JSON object per line");
  cmd->callback([a, &exit_code] {
    try {
      exit_code = demo(*a);
    } catch (const std::exception& e) {
      std::cerr << "cove demo: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace cove::cli
