// The `openai` provider: chat-completions-compatible servers (POST {base}/chat/completions with
// "stream": true), as served by OpenAI, vLLM, llama.cpp, Ollama and others. The agent loop's
// Messages-form request is translated to chat messages and the streamed chunks back to content
// blocks; both translations are pure and tested without a network.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/models/provider.hpp"

namespace cove::models {

// The chat-completions request: a system message; user and assistant text; assistant tool_use
// blocks as tool_calls (arguments as JSON text); user tool_result blocks as "tool" messages
// (placed before the rest of that user turn); images and documents as a short text note;
// thinking blocks dropped. Tools become {type:"function", function:{name, description,
// parameters}}.
json chat_request_body(const ModelRequest& request);

// Builds a reply from chat-completion chunks (the `data:` of each event), reporting block starts
// and text deltas to the sink. `delta.content` becomes text blocks, `delta.reasoning_content` /
// `delta.reasoning` thinking blocks (empty signature), `delta.tool_calls` tool_use blocks whose
// input is parsed from the accumulated arguments. finish_reason maps to stop_reason: stop →
// end_turn, tool_calls → tool_use, length → max_tokens, content_filter → refusal; a reply with
// tool calls always ends in tool_use (some local servers say "stop").
class ChatStreamReader {
 public:
  // `new_id` names tool calls that arrive without an id.
  ChatStreamReader(const StreamSink& sink, std::function<std::string()> new_id)
      : sink_(sink), new_id_(std::move(new_id)) {}

  // One event's data. Returns true at "[DONE]". Throws ModelError: an error object in the
  // stream, or server for malformed data.
  bool feed(std::string_view data);
  // One parsed chunk (also used for whole, non-streamed answers).
  void feed_chunk(const json& chunk);
  // The reply; throws ModelError(server) when neither "[DONE]" nor a finish_reason arrived, or
  // a tool call's arguments are not a JSON object.
  ModelReply finish();

 private:
  json& open_block(const std::string& type);
  void tool_call_delta(const json& call, std::size_t position);

  const StreamSink& sink_;
  std::function<std::string()> new_id_;
  json content_ = json::array();
  std::map<int64_t, std::size_t> tool_blocks_;    // tool-call index → content index
  std::map<std::size_t, std::string> arguments_;  // content index → arguments text
  std::string finish_reason_;
  Usage usage_;
  bool done_ = false;
};

// A reply from a whole (non-streamed) chat completion.
ModelReply chat_reply_from_completion(const json& completion, const StreamSink& sink,
                                      std::function<std::string()> new_id);

struct OpenAiOptions {
  std::string base_url;  // up to and including /v1
  std::string api_key;   // empty: no Authorization header
  std::string model;     // sent when a request names none
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};
};

std::unique_ptr<Provider> make_openai_provider(boost::asio::any_io_executor executor,
                                               OpenAiOptions options);

}  // namespace cove::models
