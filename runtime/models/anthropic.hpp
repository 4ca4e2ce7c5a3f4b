// The `anthropic` provider: the Messages API (POST {base}/v1/messages, "stream": true) of
// Anthropic or any compatible server. The wire translation is pure (request body, stream
// reader) so it is tested without a network; AnthropicProvider adds the HTTP exchange.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/models/provider.hpp"

namespace cove::models {

// The request body: model, max_tokens, stream, system (when set), messages, tools (when any).
json anthropic_request_body(const ModelRequest& request);

// Builds a reply from the Messages API's stream events (message_start, content_block_start /
// _delta / _stop, message_delta, message_stop, ping, error), reporting each block start and each
// text delta to the sink. Unknown event and delta types are ignored, as the API asks.
class AnthropicStreamReader {
 public:
  explicit AnthropicStreamReader(const StreamSink& sink) : sink_(sink) {}

  // One event: its `event:` name and its JSON data. Returns true at message_stop. Throws
  // ModelError: the kind an `error` event names; server for malformed data.
  bool feed(std::string_view event, std::string_view data);
  bool complete() const { return complete_; }
  // The reply so far; throws ModelError(server) when message_stop has not arrived.
  ModelReply finish();

 private:
  struct Block {
    json content;              // the block as it grows
    std::string partial_json;  // tool_use input, accumulated from input_json_delta
    bool has_json = false;
    std::string json_error;  // the input did not parse (fatal unless cut by max_tokens)
  };
  Block& block_at(const json& event);
  void start_block(const json& event);
  void apply_delta(const json& event);
  void close_block(Block& block);

  const StreamSink& sink_;
  std::map<int, Block> blocks_;
  ModelReply reply_;
  bool started_ = false;
  bool complete_ = false;
};

// A reply from a whole (non-streamed) Messages API answer: {content, stop_reason, usage}.
// Reports block starts and text to the sink as if it had streamed.
ModelReply anthropic_reply_from_message(const json& message, const StreamSink& sink);

// Usage counters from a Messages API usage object; absent or null counters keep `usage`'s.
void read_anthropic_usage(const json& object, Usage& usage);

struct AnthropicOptions {
  std::string base_url;  // without /v1
  std::string api_key;   // empty: no x-api-key header
  std::string model;     // sent when a request names none
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};
};

std::unique_ptr<Provider> make_anthropic_provider(boost::asio::any_io_executor executor,
                                                  AnthropicOptions options);

}  // namespace cove::models
