// Which daemon a session command (`cove ps`, `logs`, `attach`, `interrupt`, `rm`, `prune`,
// `version`, `info`) talks to, found as `cove run` finds it: --url, else COVE_URL, else
// http://127.0.0.1:8420; the key from --api-key, else COVE_API_KEY, else the home's
// (--home, else COVE_HOME, else the default home). And the one line to print when it does not
// answer or refuses the key.
#pragma once

#include <functional>
#include <string>

#include "runtime/client/api_client.hpp"

namespace CLI {
class App;
}

namespace cove::cli {

// The flags as given (empty: not given).
struct DaemonFlags {
  std::string url;
  std::string api_key;
  std::string home;
};

// Adds --url, --api-key and --home to `cmd`.
void add_daemon_flags(CLI::App& cmd, DaemonFlags& flags);

struct DaemonTarget {
  std::string url;
  std::string url_source;  // "--url", "COVE_URL" or "the default"
  std::string api_key;
  std::string key_source;  // "--api-key", "COVE_API_KEY" or the key file's path
  std::string home;
};

DaemonTarget resolve_daemon(const DaemonFlags& flags);

// "no daemon answers at URL (from --url); …" for a connection that failed, "the daemon at URL
// refused the API key (from …); …" for a 401, else the server's message.
std::string daemon_error(const DaemonTarget& target, const client::ApiClientError& e);

// Resolves the daemon and runs `command` with a client of it. A failure becomes one line on
// stderr, "cove NAME: …" (daemon_error for an API error, the message for anything else), and
// exit code 1; otherwise the command's exit code.
int with_daemon(const std::string& name, const DaemonFlags& flags,
                const std::function<int(client::ApiClient&, const DaemonTarget&)>& command);

// Throws std::invalid_argument unless `id` looks like an object id (letters, digits, '_',
// '-'), so that it cannot change the path it is put in.
void check_id(const std::string& id);

}  // namespace cove::cli
