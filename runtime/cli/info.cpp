// `cove version` (the client's version and the daemon's) and `cove info` (what the daemon
// runs with: home, store, pid, URL, model provider, offline mode, limits; never a key).
#include <CLI/CLI.hpp>
#include <iostream>

#include "base/version.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/daemon_target.hpp"

namespace cove::cli {

namespace {

using json = nlohmann::json;

struct InfoArgs {
  DaemonFlags daemon;
  bool json_output = false;
};

// The daemon's description, or nullopt (with the reason in `why`) when none answers.
std::optional<json> daemon_info(const DaemonTarget& t, std::string& why) {
  try {
    client::ApiClient api(t.url, t.api_key);
    return api.get("/cove/v1/info");
  } catch (const client::ApiClientError& e) {
    if (e.status() != 0) throw;
    why = daemon_error(t, e);
    return std::nullopt;
  }
}

// A daemon that does not answer is not an error here: the client's version is still news.
// One that answers with an error (a refused key) is, after the client's line.
int version_command(const InfoArgs& a) {
  auto t = resolve_daemon(a.daemon);
  std::string why;
  std::optional<json> info;
  int code = 0;
  try {
    info = daemon_info(t, why);
  } catch (const client::ApiClientError& e) {
    why = daemon_error(t, e);
    code = 1;
  }
  if (a.json_output) {
    std::cout << json{{"client", version()}, {"daemon", info ? (*info)["version"] : json(nullptr)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "client  cove " << version() << "\n";
    if (info)
      std::cout << "daemon  cove " << (*info)["version"].get<std::string>() << " (" << t.url
                << ", pid " << (*info)["pid"] << ")\n";
    else if (code == 0)
      std::cout << "daemon  not running: " << why << "\n";
  }
  if (code != 0) std::cerr << "cove version: " << why << "\n";
  return code;
}

std::string mebibytes(const json& bytes) {
  return std::to_string(bytes.get<uint64_t>() >> 20) + " MiB";
}

void print_info(const DaemonTarget& t, const json& d) {
  const json& m = d["model"];
  const json& l = d["limits"];
  auto row = [](const std::string& name, const std::string& value) {
    std::cout << "  " << name << std::string(name.size() < 20 ? 20 - name.size() : 1, ' ') << value
              << "\n";
  };
  std::cout << "daemon:\n";
  row("version", d["version"].get<std::string>());
  row("pid", d["pid"].dump());
  std::string url = d["url"];
  row("url", url == t.url ? url : url + " (reached at " + t.url + ")");
  row("home", d["home"].get<std::string>());
  row("store", d["store"].get<std::string>());
  std::string model = m["provider"].get<std::string>();
  if (m.contains("base_url")) model += " at " + m["base_url"].get<std::string>();
  if (m.contains("api_key_set")) model += m["api_key_set"] == true ? ", key set" : ", no key set";
  if (m.contains("script")) model += ", script " + m["script"].get<std::string>();
  row("model provider", model);
  row("scripts dir", m["scripts_dir"].get<std::string>());
  row("offline", d["offline"] == true ? "yes (only loopback is reached)" : "no");
  row("private targets", d["allow_private_targets"] == true ? "allowed" : "refused");
  row("sandbox memory", mebibytes(l["memory_bytes"]));
  row("sandbox processes", l["pids"].dump());
  row("sandbox cpus", l["cpus"] == 0 ? "all" : l["cpus"].dump());
  row("sandbox /tmp", mebibytes(l["tmp_bytes"]));
  row("open files", l["open_files"].dump());
  row("model requests/turn", l["max_model_requests_per_turn"].dump());
}

// The client's side always; the daemon's when it answers (exit 1 when it does not).
int info_command(const InfoArgs& a) {
  auto t = resolve_daemon(a.daemon);
  std::string why;
  auto d = daemon_info(t, why);
  json client = {
      {"version", version()}, {"home", t.home}, {"url", t.url}, {"url_from", t.url_source}};
  if (a.json_output) {
    std::cout << json{{"client", client}, {"daemon", d ? *d : json(nullptr)}}.dump(2) << "\n";
  } else {
    std::cout << "client:\n  version             " << version() << "\n  home                "
              << t.home << "\n  daemon URL          " << t.url << " (" << t.url_source << ")\n";
    if (d) print_info(t, *d);
  }
  if (d) return 0;
  std::cerr << "cove info: " << why << "\n";
  return 1;
}

int guarded(const char* name, const InfoArgs& a, int (*command)(const InfoArgs&)) {
  try {
    return command(a);
  } catch (const client::ApiClientError& e) {
    std::cerr << "cove " << name << ": " << daemon_error(resolve_daemon(a.daemon), e) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cove " << name << ": " << e.what() << "\n";
  }
  return 1;
}

}  // namespace

void add_info_commands(CLI::App& app, int& exit_code) {
  auto v = std::make_shared<InfoArgs>();
  auto* vc = app.add_subcommand("version", "Print the client's version and the daemon's");
  vc->add_flag("--json", v->json_output, "as JSON");
  add_daemon_flags(*vc, v->daemon);
  vc->callback([v, &exit_code] { exit_code = guarded("version", *v, version_command); });

  auto i = std::make_shared<InfoArgs>();
  auto* ic = app.add_subcommand(
      "info", "Show the daemon's home, store, pid, URL, model provider, offline mode, limits");
  ic->add_flag("--json", i->json_output, "as JSON");
  add_daemon_flags(*ic, i->daemon);
  ic->callback([i, &exit_code] { exit_code = guarded("info", *i, info_command); });
}

}  // namespace cove::cli
