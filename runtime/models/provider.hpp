// Model providers: one request to a model, its reply streamed. The agent loop speaks the
// Anthropic Messages format internally (system, messages, tools, content blocks); each
// provider translates to and from its wire format.
//
//   auto provider = make_provider(config, "claude-sonnet-4-6");
//   ModelReply reply = co_await provider->complete(request, sink, stop);
//
// Threading: a Provider belongs to the executor it was given; call complete() only from
// coroutines running there, one at a time. Scripted providers keep their position in the
// script, so each session gets its own Provider.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

#include "runtime/models/config.hpp"

namespace cove::models {

using json = nlohmann::json;
template <class T>
using Task = boost::asio::awaitable<T>;

struct ModelRequest {
  // The provider's model name (prefix already removed: see model_name()). Empty: the name of
  // the model id the provider was made for.
  std::string model;
  std::string system;             // empty: none
  json messages = json::array();  // Messages API form: [{role, content:[blocks]}]
  json tools = json::array();     // Messages API form: [{name, description, input_schema}]
  int max_tokens = 8192;
};

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_creation_input_tokens = 0;
  int64_t cache_read_input_tokens = 0;
};

struct ModelReply {
  // Messages API content blocks: {type:"text", text}, {type:"thinking", thinking, signature},
  // {type:"redacted_thinking", data}, {type:"tool_use", id, name, input}.
  json content = json::array();
  std::string stop_reason;  // end_turn, tool_use, max_tokens, stop_sequence, refusal, pause_turn
  Usage usage;
};

// Live view of a reply while it streams (the loop turns it into event_start/event_delta).
// Every member may be empty.
struct StreamSink {
  // A content block opened at `index` with this type ("text", "thinking", "tool_use", ...).
  std::function<void(int index, std::string_view type)> on_block_start;
  // Text appended to the text block at `index`.
  std::function<void(int index, std::string_view text)> on_text_delta;
};

enum class ModelErrorKind {
  overloaded,      // 529 / overloaded_error: retry
  rate_limited,    // 429: retry (retry_after when the server said)
  server,          // other 5xx, or a stream that broke mid-reply: retry
  network,         // connect/read failure or timeout: retry
  request_failed,  // 4xx other than 429 (bad request, auth, unknown model): do not retry
  interrupted,     // the stop token fired
};

class ModelError : public std::runtime_error {
 public:
  ModelError(ModelErrorKind kind, const std::string& message, int status = 0,
             std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : std::runtime_error(message), kind_(kind), status_(status), retry_after_(retry_after) {}
  ModelErrorKind kind() const { return kind_; }
  int status() const { return status_; }  // HTTP status, 0 when none
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  bool retryable() const {
    return kind_ != ModelErrorKind::request_failed && kind_ != ModelErrorKind::interrupted;
  }

 private:
  ModelErrorKind kind_;
  int status_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // One model request. Throws ModelError; never retries by itself (the loop does).
  virtual Task<ModelReply> complete(const ModelRequest& request, const StreamSink& sink,
                                    std::stop_token stop) = 0;
};

// The provider for a model id under this configuration; `session_id` names the recording.
// Throws std::invalid_argument with a readable reason (unknown prefix, missing script, ...).
std::unique_ptr<Provider> make_provider(boost::asio::any_io_executor executor,
                                        const ProviderConfig& config, const std::string& model_id,
                                        const std::string& session_id);

// The model name a model id stands for: the id without a provider prefix ("anthropic:",
// "openai:", "scripted:"); other colons belong to the name ("qwen2.5:7b").
std::string model_name(const std::string& model_id);

// The provider a model id is served by: the one its prefix names ("openai:gpt-4o"), else the
// configured default. Not checked against the known providers (make_provider does that).
std::string provider_name(const ProviderConfig& config, const std::string& model_id);

// The base URL a provider's requests go to under this configuration; empty for a provider
// that reaches no server (scripted) or that is unknown.
std::string provider_base_url(const ProviderConfig& config, const std::string& provider);

}  // namespace cove::models
