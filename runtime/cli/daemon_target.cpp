#include "runtime/cli/daemon_target.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "runtime/cli/cli.hpp"

namespace cove::cli {

namespace {

std::string env_value(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

void add_daemon_flags(CLI::App& cmd, DaemonFlags& flags) {
  cmd.add_option("--url", flags.url, "daemon URL (env COVE_URL, default http://127.0.0.1:8420)");
  cmd.add_option("--api-key", flags.api_key, "daemon API key (env COVE_API_KEY, or the home's)");
  cmd.add_option("--home", flags.home, "state directory whose API key to use (env COVE_HOME)");
}

DaemonTarget resolve_daemon(const DaemonFlags& flags) {
  DaemonTarget t;
  t.home = flags.home.empty() ? default_home() : flags.home;
  if (!flags.url.empty()) {
    t.url = flags.url, t.url_source = "--url";
  } else if (auto v = env_value("COVE_URL"); !v.empty()) {
    t.url = v, t.url_source = "COVE_URL";
  } else {
    t.url = "http://127.0.0.1:8420", t.url_source = "the default";
  }
  if (!flags.api_key.empty()) {
    t.api_key = flags.api_key, t.key_source = "--api-key";
  } else if (auto v = env_value("COVE_API_KEY"); !v.empty()) {
    t.api_key = v, t.key_source = "COVE_API_KEY";
  } else {
    t.api_key = read_key(t.home), t.key_source = t.home + "/api-key";
  }
  return t;
}

std::string daemon_error(const DaemonTarget& t, const client::ApiClientError& e) {
  if (e.status() == 0)
    return "no daemon answers at " + t.url + " (" + t.url_source + ": " + e.what() +
           "); start `cove serve`, or point --url or COVE_URL at the daemon";
  if (e.status() == 401)
    return "the daemon at " + t.url + " refused the API key (" +
           (t.api_key.empty() ? "none found in " + t.key_source : "from " + t.key_source) +
           "); pass that daemon's key with --api-key or COVE_API_KEY, or its --home";
  if (e.status() == 404)
    return std::string(e.what()) + " at " + t.url + " (`cove ps -a` lists the sessions)";
  return e.what();
}

int with_daemon(const std::string& name, const DaemonFlags& flags,
                const std::function<int(client::ApiClient&, const DaemonTarget&)>& command) {
  DaemonTarget target = resolve_daemon(flags);
  try {
    client::ApiClient api(target.url, target.api_key);
    return command(api, target);
  } catch (const client::ApiClientError& e) {
    std::cerr << "cove " << name << ": " << daemon_error(target, e) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cove " << name << ": " << e.what() << "\n";
  }
  return 1;
}

void check_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok)
    throw std::invalid_argument("'" + id + "' is not a session id (ids look like sesn_…; " +
                                "`cove ps -a` lists them)");
}

}  // namespace cove::cli
