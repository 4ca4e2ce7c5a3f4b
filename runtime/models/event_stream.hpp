// One streamed model request over HTTP, shared by the HTTP providers: POST, check the answer,
// feed the text/event-stream body to a handler, and map every failure to ModelError. The stop
// token aborts the request at once, whether it is still connecting, waiting for the response
// head, or reading the body.
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "net/http_client.hpp"
#include "net/sse_parser.hpp"
#include "runtime/models/provider.hpp"

namespace cove::models {

struct EventStreamHandler {
  // One server-sent event; returns true once the reply is complete (reading stops). May throw
  // ModelError (an error event, malformed data).
  std::function<bool(const net::SseEvent&)> on_event;
  // A 200 answer that is not an event stream (a server that ignored "stream": true), with its
  // whole body. Empty: such an answer is a server error.
  std::function<void(const std::string& body)> on_whole_body;
};

struct EventStreamTarget {
  std::string provider;  // names the server in messages ("anthropic")
  std::string secret;    // the API key: never quoted in a message
};

// The endpoint `path` below a provider's configured base URL (trailing slashes ignored).
// Throws std::invalid_argument naming the provider and the URL.
net::Url endpoint_url(const std::string& provider, const std::string& base_url,
                      const std::string& path);

// Posts `request` with `client` and streams the answer into `handler`. Returns true when the
// handler reported the reply complete, false when the body ended first. Throws ModelError: the
// answer's status mapped by error_for_status, network when connecting or the response head
// fails, server when the body breaks off, interrupted when `stop` fires.
Task<bool> post_event_stream(net::HttpClient& client, net::HttpRequest request,
                             const EventStreamTarget& target, std::stop_token stop,
                             const EventStreamHandler& handler);

}  // namespace cove::models
