// `cove serve` (the API daemon) and `cove key` (print the API key again).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/log.hpp"
#include "base/random.hpp"
#include "net/http_server.hpp"
#include "runtime/api/server.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_home.hpp"
#include "runtime/cli/duration.hpp"
#include "runtime/cli/size.hpp"
#include "runtime/models/config.hpp"
#include "sandbox/cgroup.hpp"

namespace cove::cli {

namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

std::string default_home() {
  if (const char* v = std::getenv("COVE_HOME"); v && *v) return v;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/cove";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/cove";
}

std::string key_path(const std::string& home) {
  return home + "/api-key";
}

std::string read_key(const std::string& home) {
  std::ifstream in(key_path(home));
  std::string key;
  std::getline(in, key);
  return key;
}

api::ServerOptions server_options(const std::string& home) {
  api::ServerOptions opt;
  opt.database_path = home + "/cove.db";
  auto& runner = opt.runner;
  runner.home = home;
  runner.models = models::provider_config_from_env();
  runner.models.scripts_dir = home + "/scripts";
  const char* offline = std::getenv("COVE_OFFLINE");
  runner.offline = offline && *offline && std::string(offline) != "0";
  if (const char* idle = std::getenv("COVE_IDLE_TIMEOUT"); idle && *idle) {
    auto timeout = parse_duration(idle);
    if (!timeout)
      throw std::invalid_argument(std::string("COVE_IDLE_TIMEOUT: not a duration: ") + idle +
                                  " (use e.g. 90s, 10m or 0 for never)");
    runner.idle_timeout = *timeout;
  }
  return opt;
}

namespace {

// Creates the key file (0600, exclusively) with a fresh random key.
std::string generate_key(const std::string& home) {
  std::string key = random_token("sk-cove-", 32);
  auto path = key_path(home);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  std::string line = key + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("write " + path + ": " + std::strerror(errno));
  return key;
}

struct ServeArgs {
  std::string listen;
  std::string home;
  std::string api_key;
  int heartbeat_ms = 15000;
  std::string model_provider;
  std::string model_script;
  std::string scripts_dir;
  std::string record_dir;
  bool egress_allow_private = false;
  bool allow_private_targets = false;
  bool offline = false;
  int retry_base_ms = 1000;
  std::string memory;
  uint32_t pids = 0;
  std::string log_level = "info";
  std::string idle_timeout;
};

// The daemon's model settings: its environment, then the command line; checked before the
// home is touched, so that a configuration that cannot work leaves nothing behind.
models::ProviderConfig serve_models(const ServeArgs& args, const std::string& home) {
  models::ProviderConfig m = server_options(home).runner.models;
  if (!args.model_provider.empty()) m.provider = args.model_provider;
  if (!args.scripts_dir.empty()) m.scripts_dir = args.scripts_dir;
  if (!args.model_script.empty()) {
    m.script = fs::absolute(args.model_script).string();
    if (args.model_provider.empty()) m.provider = "scripted";
  }
  m.record_dir = args.record_dir;
  models::forget_cove_key(m, args.api_key.empty() ? env_or("COVE_API_KEY", "") : args.api_key);
  if (auto why = models::config_problem(m))
    throw std::runtime_error("the model configuration cannot work: " + *why);
  return m;
}

int serve(const ServeArgs& args) {
  log::set_level(*log::parse_level(args.log_level));
  std::string home = args.home.empty() ? default_home() : args.home;
  models::ProviderConfig model_config = serve_models(args, home);
  // Before the store is opened and running sessions are recovered: they are this daemon's.
  DaemonHome locked_home(home);
  std::string key = args.api_key.empty() ? env_or("COVE_API_KEY", "") : args.api_key;
  if (key.empty()) {
    key = read_key(home);
    if (key.empty()) {
      key = generate_key(home);
      std::cout << "cove serve: generated API key (stored in " << key_path(home)
                << ", `cove key` prints it again):\n"
                << key << "\n";
    }
  }
  std::string listen = args.listen.empty() ? env_or("COVE_LISTEN", "127.0.0.1:8420") : args.listen;
  auto [host, port] = net::parse_listen_address(listen);
  api::ServerOptions opt = server_options(home);
  opt.host = host;
  opt.port = port;
  opt.api_key = key;
  opt.heartbeat_ms = args.heartbeat_ms;
  auto& runner = opt.runner;
  runner.models = model_config;
  models::forget_cove_key(runner.models, key);
  runner.egress_allow_private = args.egress_allow_private;
  runner.allow_private_targets = args.allow_private_targets;
  if (args.offline) runner.offline = true;
  runner.retry_base = std::chrono::milliseconds(args.retry_base_ms);
  if (!args.memory.empty()) {
    auto bytes = parse_size(args.memory);
    if (!bytes) throw std::invalid_argument("--memory: not a size: " + args.memory);
    runner.limits.memory_bytes = *bytes;
  }
  if (args.pids) runner.limits.pids = args.pids;
  if (!args.idle_timeout.empty()) {
    auto timeout = parse_duration(args.idle_timeout);
    if (!timeout)
      throw std::invalid_argument("--idle-timeout: not a duration: " + args.idle_timeout +
                                  " (use e.g. 90s, 10m or 0 for never)");
    runner.idle_timeout = *timeout;
  }
  api::Server server(opt);
  server.listen();
  if (server.recovered_sessions() > 0)
    std::cout << "cove serve: " << server.recovered_sessions()
              << " session(s) were running when cove stopped; they are idle now\n";
  std::cout << "cove serve: listening on http://" << host << ":" << server.port() << std::endl;
  // Rootless outside a delegated cgroup, sessions run without memory, pids and CPU limits.
  if (auto why = sandbox::unenforced_limits(sandbox::CgroupLayout::discover()))
    std::cerr << "cove serve: warning: " << *why << std::endl;
  server.run();
  return 0;
}

}  // namespace

void add_serve_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  auto* serve_cmd = app.add_subcommand("serve", "Run the Managed Agents API server");
  serve_cmd->add_option("--listen", args->listen,
                        "HOST:PORT (env COVE_LISTEN, default 127.0.0.1:8420)");
  serve_cmd->add_option("--home", args->home,
                        "state directory (env COVE_HOME, default ~/.local/share/cove)");
  serve_cmd->add_option("--api-key", args->api_key,
                        "API key to require (env COVE_API_KEY; default: generated)");
  serve_cmd->add_option("--sse-heartbeat-ms", args->heartbeat_ms, "SSE heartbeat interval")
      ->group("");
  serve_cmd->add_option("--model-provider", args->model_provider,
                        "anthropic, openai or scripted (env COVE_MODEL_PROVIDER; default "
                        "anthropic, or scripted when COVE_MODEL_SCRIPT is set). An agent's "
                        "model \"openai:NAME\" etc. overrides it. The model key is "
                        "ANTHROPIC_API_KEY or COVE_MODEL_API_KEY (never a cove key: clients "
                        "send theirs as COVE_API_KEY)");
  serve_cmd->add_option("--model-script", args->model_script,
                        "script of model turns for the scripted provider (implies "
                        "--model-provider scripted)");
  serve_cmd->add_option("--scripts-dir", args->scripts_dir,
                        "where \"scripted:NAME\" models are looked up (default HOME/scripts)");
  serve_cmd->add_option("--record-dir", args->record_dir,
                        "record every model reply, one script per session, for replay");
  serve_cmd->add_flag("--egress-allow-private", args->egress_allow_private,
                      "let sandboxes reach loopback and private addresses through the egress "
                      "proxy (services on this machine; never link-local or metadata)");
  serve_cmd->add_flag("--allow-private-targets", args->allow_private_targets,
                      "let MCP server and repository URLs from API clients name loopback and "
                      "private addresses (services on this machine or its network; never "
                      "link-local or metadata)");
  serve_cmd->add_flag("--offline", args->offline,
                      "air-gapped: reach repositories, MCP servers and models only on loopback "
                      "(env COVE_OFFLINE=1)");
  serve_cmd->add_option("--memory", args->memory, "memory limit per session sandbox (e.g. 2G)");
  serve_cmd->add_option("--pids", args->pids, "process limit per session sandbox");
  serve_cmd
      ->add_option("--log-level", args->log_level,
                   "what to log to stderr: error, warn (and session errors), info (and one "
                   "line per request), debug (and one line per session event); default info")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  serve_cmd->add_option("--idle-timeout", args->idle_timeout,
                        "tear an idle session's sandbox down after this long; its next event "
                        "brings it back with the same workspace (env COVE_IDLE_TIMEOUT; "
                        "default 10m; 0: never)");
  serve_cmd->add_option("--model-retry-base-ms", args->retry_base_ms, "first model retry backoff")
      ->group("");
  serve_cmd->callback([args, &exit_code] {
    try {
      exit_code = serve(*args);
    } catch (const std::exception& e) {
      std::cerr << "cove serve: " << e.what() << "\n";
      exit_code = 1;
    }
  });

  auto home = std::make_shared<std::string>();
  auto* key_cmd = app.add_subcommand("key", "Print the API key of `cove serve`");
  key_cmd->add_option("--home", *home, "state directory (env COVE_HOME)");
  key_cmd->callback([home, &exit_code] {
    std::string dir = home->empty() ? default_home() : *home;
    auto key = read_key(dir);
    if (key.empty()) {
      std::cerr << "cove key: no key in " << dir << " yet; run `cove serve` once\n";
      exit_code = 1;
      return;
    }
    std::cout << key << "\n";
  });
}

}  // namespace cove::cli
