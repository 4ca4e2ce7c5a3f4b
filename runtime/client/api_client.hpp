// A small blocking client of cove's own API for the CLI (`cove run`, `cove demo`, `cove ps`
// and the other session commands): JSON calls, and the session event stream delivered to a
// callback. Errors throw ApiClientError
// with the server's error message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
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
  json del(const std::string& path);  // DELETE
  bool reachable();  // GET /v1/agents?limit=1 answers (any HTTP status but a refused connection)

  // Opens the session's event stream (with agent.message previews), then calls `after_open`
  // (send the first message there), then calls on_event for each event (stream-only
  // previews included) until it returns false or the stream ends.
  void stream(const std::string& session_id, const std::function<void()>& after_open,
              const std::function<bool(const json& event)>& on_event);
  // Ends the stream that stream() follows (or the next one) as if on_event had returned
  // false. The one member that may be called from another thread (a signal's watcher).
  void cancel_stream();

  struct StreamOptions {
    // Sent as Last-Event-ID: cove first replays the stored events whose sequence number is
    // greater (0: all of them), then the live ones, none missed or repeated. Unset: live only.
    std::optional<int64_t> resume_after;
    bool previews = true;  // agent.message event_start / event_delta frames
  };
  // The stream as above, with each event's position: the SSE id, the event's sequence
  // number (a preview carries the number of the stored event before it, where a resume
  // would start). `after_open` returning false closes the stream at once. Returns when
  // on_event returns false or the server ends the stream; a broken connection throws
  // ApiClientError with status 0.
  void stream(const std::string& session_id, const StreamOptions& options,
              const std::function<bool()>& after_open,
              const std::function<bool(const json& event, int64_t seq)>& on_event);

  // POSTs `body` to an endpoint that answers with an SSE stream (cove's exec and file
  // copies) and calls on_event with each event's type and JSON data until the stream ends.
  void post_stream(const std::string& path, const json& body,
                   const std::function<void(const std::string& type, const json& data)>& on_event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::client
