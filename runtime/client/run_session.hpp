// What `cove run` and `cove demo` share: finding (or embedding) a daemon, and running one
// task in a session while printing its progress.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <thread>

#include "runtime/client/api_client.hpp"

namespace cove::api {
class Server;
struct ServerOptions;
}  // namespace cove::api

namespace cove::client {

// A daemon running inside this process on a free loopback port, stopped on destruction.
class EmbeddedDaemon {
 public:
  explicit EmbeddedDaemon(api::ServerOptions options);  // options.port is ignored (free port)
  ~EmbeddedDaemon();
  std::string base_url() const;
  const std::string& api_key() const { return key_; }

 private:
  std::unique_ptr<api::Server> server_;
  std::thread thread_;
  std::string key_;
};

struct RunOptions {
  bool json = false;   // print raw events, one JSON object per line
  bool color = false;  // ANSI colours in readable output
};

// Opens the session's stream, sends `task` as a user.message and prints events until the
// session stops working. Returns the stop reason ("end_turn", "requires_action",
// "retries_exhausted", "terminated", ...).
std::string run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                     const RunOptions& options, std::ostream& out);

// A random API key for an embedded daemon.
std::string random_key();

}  // namespace cove::client
