#include "runtime/cli/embedded_daemon.hpp"

#include "base/random.hpp"
#include "runtime/api/server.hpp"

namespace cove::cli {

EmbeddedDaemon::EmbeddedDaemon(DaemonHome home, api::ServerOptions options)
    : home_(std::move(home)) {
  options.host = "127.0.0.1";
  options.port = 0;
  if (options.api_key.empty()) options.api_key = random_token("sk-cove-", 24);
  key_ = options.api_key;
  server_ = std::make_unique<api::Server>(std::move(options));
  server_->listen();
  thread_ = std::thread([this] { server_->run(false); });
}

EmbeddedDaemon::~EmbeddedDaemon() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

std::string EmbeddedDaemon::base_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

}  // namespace cove::cli
