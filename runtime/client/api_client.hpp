// A small blocking client of cove's own API for the CLI (`cove run`, `cove demo`): JSON
// calls, and the session event stream delivered to a callback. Errors throw ApiClientError
// with the server's error message.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace cove::client {

using json = nlohmann::json;

class ApiClientError : public std::runtime_error {
 public:
  ApiClientError(const std::string& message, int status)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }  // 0: no HTTP answer (connection failed)

 private:
  int status_;
};

class ApiClient {
 public:
  ApiClient(std::string base_url, std::string api_key);
  ~ApiClient();

  json get(const std::string& path);
  json post(const std::string& path, const json& body);
  bool reachable();  // GET /v1/agents?limit=1 answers (any HTTP status but a refused connection)

  // Opens the session's event stream (with agent.message previews), then calls `after_open`
  // (send the first message there), then calls on_event for each event (stream-only
  // previews included) until it returns false or the stream ends.
  void stream(const std::string& session_id, const std::function<void()>& after_open,
              const std::function<bool(const json& event)>& on_event);

  // POSTs `body` to an endpoint that answers with an SSE stream (cove's exec and file
  // copies) and calls on_event with each event's type and JSON data until the stream ends.
  void post_stream(const std::string& path, const json& body,
                   const std::function<void(const std::string& type, const json& data)>& on_event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::client
