// How every provider turns a model server's failure into a ModelError: HTTP status, the wait the
// server asked for (retry-after), the error body's message, and error objects sent inside a
// stream. Pure functions, so the mapping is tested without a network.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_client.hpp"
#include "runtime/models/provider.hpp"

namespace cove::models {

// The wait a server asked for: `retry-after-ms` (milliseconds), else `retry-after` as seconds or
// as an HTTP date (counted from `now`; a date in the past is zero). nullopt when absent or
// unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    const net::Headers& headers,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The kind for an HTTP status: 529 overloaded, 429 rate_limited, other 5xx server, other 4xx
// request_failed; anything else (a status a model server should not send) server.
ModelErrorKind kind_for_status(int status);

// The kind for an error type carried in an error body or stream event ("overloaded_error",
// "rate_limit_error", "api_error", ...); nullopt for types that do not decide it.
std::optional<ModelErrorKind> kind_for_error_type(std::string_view type);

// Names used in scripts and messages ("overloaded", "rate_limited", ...), and back.
std::string_view kind_name(ModelErrorKind kind);
std::optional<ModelErrorKind> kind_from_name(std::string_view name);

// The error for an answer other than 200. `provider` names the server in the message
// ("anthropic"); the body's error message is quoted (Anthropic, OpenAI and plain-text bodies);
// `secret` (the API key) is cut out of anything quoted.
ModelError error_for_status(std::string_view provider, int status, const net::Headers& headers,
                            std::string_view body, std::string_view secret);

// The error for an error object received inside an event stream: {type, message} (Anthropic's
// `error` event) or {message, type?, code?} (OpenAI-compatible servers). Retryable unless its
// type or code says the request itself was wrong.
ModelError error_for_stream_error(std::string_view provider, const json& error,
                                  std::string_view secret);

// `text` with every occurrence of `secret` replaced by "[redacted]" (nothing when secret is
// empty).
std::string redact(std::string text, std::string_view secret);

}  // namespace cove::models
