#include "runtime/client/run_session.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "runtime/api/server.hpp"
#include "runtime/client/progress.hpp"

namespace cove::client {

std::string random_key() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char hex[] = "0123456789abcdef";
  std::string key = "sk-cove-";
  for (unsigned char b : raw) {
    key += hex[b >> 4];
    key += hex[b & 15];
  }
  return key;
}

EmbeddedDaemon::EmbeddedDaemon(api::ServerOptions options) {
  options.host = "127.0.0.1";
  options.port = 0;
  if (options.api_key.empty()) options.api_key = random_key();
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

std::string run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                     const RunOptions& options, std::ostream& out) {
  ProgressPrinter printer(out, options.color);
  std::string stop = "stream ended";
  json message = {
      {"events", json::array({{{"type", "user.message"},
                               {"content", json::array({{{"type", "text"}, {"text", task}}})}}})}};
  api.stream(
      session_id, [&] { api.post("/v1/sessions/" + session_id + "/events", message); },
      [&](const json& event) {
        std::string type = event.value("type", "");
        if (options.json) {
          if (type != "event_start" && type != "event_delta") out << event.dump() << "\n";
          out.flush();
          if (type == "session.status_idle") {
            stop = event["stop_reason"].value("type", "");
            return false;
          }
          if (type == "session.status_terminated" || type == "session.deleted") {
            stop = "terminated";
            return false;
          }
          return true;
        }
        if (!printer.print(event)) {
          stop = printer.stop_reason();
          return false;
        }
        return true;
      });
  return stop;
}

}  // namespace cove::client
