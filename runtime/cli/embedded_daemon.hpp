// A daemon inside the CLI's own process, for `cove run --embedded` and `cove demo`: the
// API server on a free loopback port with a fresh random key, stopped on destruction. It holds
// its home's lock (DaemonHome) for its whole life, like `cove serve`.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "runtime/cli/daemon_home.hpp"

namespace cove::api {
class Server;
struct ServerOptions;
}  // namespace cove::api

namespace cove::cli {

class EmbeddedDaemon {
 public:
  // options.host and options.port are ignored (127.0.0.1, a free port); an empty api_key is
  // replaced by a random one. Throws when the server cannot listen.
  EmbeddedDaemon(DaemonHome home, api::ServerOptions options);
  ~EmbeddedDaemon();
  std::string base_url() const;
  const std::string& api_key() const { return key_; }

 private:
  DaemonHome home_;  // released after the server has stopped
  std::unique_ptr<api::Server> server_;
  std::thread thread_;
  std::string key_;
};

}  // namespace cove::cli
