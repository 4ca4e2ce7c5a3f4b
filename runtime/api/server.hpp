// The Managed Agents API server: authentication, routing, the error envelope, and the
// services behind the routes (store, event log, session runner).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/sessions/session_runner.hpp"

namespace cove::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8420;
  std::string database_path;  // SQLite file
  std::string api_key;        // required on every request
  int io_threads = 2;
  int handler_threads = 64;
  int heartbeat_ms = 15000;  // SSE heartbeat interval
  std::size_t max_body_bytes = 4u << 20;
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  sessions::RunnerConfig runner;  // how sessions run: state, models, sandbox limits
};

class Server {
 public:
  explicit Server(ServerOptions options);  // opens the store, recovers sessions
  ~Server();
  void listen();  // throws std::runtime_error naming the address
  uint16_t port() const;
  void run(bool handle_signals = true);  // until stop() or, when handling them, SIGINT/SIGTERM
  void stop();
  int recovered_sessions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Constant-time comparison (the time taken does not depend on where the inputs differ).
bool same_secret(std::string_view a, std::string_view b);

}  // namespace cove::api
