// The `anthropic` provider: Messages API request body, stream reader and HTTP exchange.
#include "runtime/models/anthropic.hpp"

#include <stdexcept>

#include "net/http_client.hpp"
#include "runtime/models/errors.hpp"
#include "runtime/models/event_stream.hpp"

namespace cove::models {

namespace {

ModelError malformed(std::string_view what) {
  return ModelError(ModelErrorKind::server,
                    "anthropic model stream is malformed: " + std::string(what));
}

std::string string_or(const json& object, const char* key, std::string fallback = "") {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Appends to a string member, making it a string first if it is not one.
void append_to(json& object, const char* key, std::string_view text) {
  auto& member = object[key];
  if (!member.is_string()) member = "";
  member.get_ref<std::string&>().append(text);
}

bool has_tool_use(const json& content) {
  for (const auto& block : content)
    if (block.is_object() && block.value("type", "") == "tool_use") return true;
  return false;
}

std::string default_stop_reason(const json& content) {
  return has_tool_use(content) ? "tool_use" : "end_turn";
}

}  // namespace

json anthropic_request_body(const ModelRequest& request) {
  json body = {{"model", request.model},
               {"max_tokens", request.max_tokens},
               {"stream", true},
               {"messages", request.messages}};
  if (!request.system.empty()) body["system"] = request.system;
  if (request.tools.is_array() && !request.tools.empty()) body["tools"] = request.tools;
  return body;
}

void read_anthropic_usage(const json& object, Usage& usage) {
  if (!object.is_object()) return;
  auto read = [&](const char* key, int64_t& into) {
    auto it = object.find(key);
    if (it != object.end() && it->is_number()) into = it->get<int64_t>();
  };
  read("input_tokens", usage.input_tokens);
  read("output_tokens", usage.output_tokens);
  read("cache_creation_input_tokens", usage.cache_creation_input_tokens);
  read("cache_read_input_tokens", usage.cache_read_input_tokens);
}

AnthropicStreamReader::Block& AnthropicStreamReader::block_at(const json& event) {
  auto it = event.find("index");
  if (it == event.end() || !it->is_number_integer()) throw malformed("event without an index");
  auto block = blocks_.find(it->get<int>());
  if (block == blocks_.end())
    throw malformed("event for block " + std::to_string(it->get<int>()) + " before its start");
  return block->second;
}

void AnthropicStreamReader::close_block(Block& block) {
  if (!block.has_json) return;
  block.has_json = false;
  auto text = block.partial_json;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    block.content["input"] = json::object();
    return;
  }
  json input = json::parse(text, nullptr, false);
  if (input.is_null()) input = json::object();
  if (!input.is_object()) {
    // Judged in finish(): a reply cut by max_tokens may end inside a tool call's input.
    block.json_error = "tool_use " + string_or(block.content, "name") +
                       ": streamed input is not a JSON object: " + text.substr(0, 200);
    input = json::object();
  }
  block.content["input"] = std::move(input);
}

void AnthropicStreamReader::start_block(const json& event) {
  auto index = event.at("index").get<int>();
  json content = event.at("content_block");
  if (!content.is_object()) throw malformed("content_block is not an object");
  auto type = string_or(content, "type");
  if (type == "text" && !content.contains("text")) content["text"] = "";
  if (type == "thinking") {
    if (!content.contains("thinking")) content["thinking"] = "";
    if (!content.contains("signature")) content["signature"] = "";
  }
  if (type == "tool_use" && !content.contains("input")) content["input"] = json::object();
  std::string initial = type == "text" ? string_or(content, "text") : "";
  blocks_[index] = Block{std::move(content), "", false, ""};
  if (sink_.on_block_start) sink_.on_block_start(index, type);
  if (!initial.empty() && sink_.on_text_delta) sink_.on_text_delta(index, initial);
}

void AnthropicStreamReader::apply_delta(const json& event) {
  auto& block = block_at(event);
  const json& delta = event.at("delta");
  auto type = string_or(delta, "type");
  if (type == "text_delta") {
    const auto& text = delta.at("text").get_ref<const std::string&>();
    append_to(block.content, "text", text);
    if (sink_.on_text_delta && !text.empty())
      sink_.on_text_delta(event.at("index").get<int>(), text);
  } else if (type == "thinking_delta") {
    append_to(block.content, "thinking", delta.at("thinking").get_ref<const std::string&>());
  } else if (type == "signature_delta") {
    block.content["signature"] = delta.at("signature").get<std::string>();
  } else if (type == "input_json_delta") {
    block.partial_json += delta.at("partial_json").get_ref<const std::string&>();
    block.has_json = true;
  } else if (type == "citations_delta") {
    if (!block.content.contains("citations") || !block.content["citations"].is_array())
      block.content["citations"] = json::array();
    block.content["citations"].push_back(delta.at("citation"));
  }
}

bool AnthropicStreamReader::feed(std::string_view event, std::string_view data) {
  if (event == "ping" && data.empty()) return false;
  json doc = json::parse(data, nullptr, false);
  if (!doc.is_object()) throw malformed("data of a '" + std::string(event) + "' event is not JSON");
  std::string type = string_or(doc, "type", std::string(event));
  try {
    if (type == "message_start") {
      started_ = true;
      if (doc.contains("message"))
        read_anthropic_usage(doc["message"].value("usage", json()), reply_.usage);
    } else if (type == "content_block_start") {
      start_block(doc);
    } else if (type == "content_block_delta") {
      apply_delta(doc);
    } else if (type == "content_block_stop") {
      close_block(block_at(doc));
    } else if (type == "message_delta") {
      if (doc.contains("delta") && doc["delta"].is_object()) {
        auto reason = string_or(doc["delta"], "stop_reason");
        if (!reason.empty()) reply_.stop_reason = reason;
      }
      if (doc.contains("usage")) read_anthropic_usage(doc["usage"], reply_.usage);
    } else if (type == "message_stop") {
      complete_ = true;
      return true;
    } else if (type == "error") {
      throw error_for_stream_error("anthropic", doc.value("error", json()), "");
    }
  } catch (const json::exception& e) {
    throw malformed("'" + type + "' event: " + e.what());
  }
  return false;
}

ModelReply AnthropicStreamReader::finish() {
  if (!complete_)
    throw ModelError(ModelErrorKind::server,
                     started_ ? "anthropic model stream ended before message_stop"
                              : "anthropic model stream ended before message_start");
  ModelReply reply = reply_;
  reply.content = json::array();
  std::string json_error;
  for (auto& [index, block] : blocks_) {
    close_block(block);
    if (json_error.empty()) json_error = block.json_error;
    reply.content.push_back(block.content);
  }
  if (reply.stop_reason.empty()) reply.stop_reason = default_stop_reason(reply.content);
  if (!json_error.empty() && reply.stop_reason != "max_tokens") throw malformed(json_error);
  return reply;
}

ModelReply anthropic_reply_from_message(const json& message, const StreamSink& sink) {
  if (!message.is_object() || !message.contains("content") || !message["content"].is_array())
    throw ModelError(ModelErrorKind::server, "anthropic model answer has no content array");
  ModelReply reply;
  reply.content = message["content"];
  int index = 0;
  for (const auto& block : reply.content) {
    auto type = block.is_object() ? string_or(block, "type") : "";
    if (sink.on_block_start) sink.on_block_start(index, type);
    if (type == "text" && sink.on_text_delta && !string_or(block, "text").empty())
      sink.on_text_delta(index, string_or(block, "text"));
    ++index;
  }
  reply.stop_reason = string_or(message, "stop_reason", default_stop_reason(reply.content));
  read_anthropic_usage(message.value("usage", json()), reply.usage);
  return reply;
}

namespace {

class AnthropicProvider : public Provider {
 public:
  AnthropicProvider(boost::asio::any_io_executor executor, AnthropicOptions options)
      : client_(std::move(executor)), options_(std::move(options)) {
    url_ = endpoint_url("anthropic", options_.base_url, "/v1/messages");
  }

  Task<ModelReply> complete(const ModelRequest& request, const StreamSink& sink,
                            std::stop_token stop) override {
    net::HttpRequest http;
    http.method = "POST";
    http.url = url_;
    http.read_timeout = options_.request_timeout;
    http.headers = {{"content-type", "application/json"},
                    {"accept", "text/event-stream"},
                    {"anthropic-version", "2023-06-01"}};
    if (!options_.api_key.empty()) http.headers.push_back({"x-api-key", options_.api_key});
    json body = anthropic_request_body(request);
    if (request.model.empty()) body["model"] = options_.model;
    http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);

    AnthropicStreamReader reader(sink);
    std::optional<ModelReply> whole;
    EventStreamHandler handler{
        [&](const net::SseEvent& event) { return reader.feed(event.type, event.data); },
        [&](const std::string& body) {
          whole = anthropic_reply_from_message(json::parse(body, nullptr, false), sink);
        }};
    // Named, not a braced temporary: GCC 12 mishandles those inside co_await expressions.
    EventStreamTarget target{"anthropic", options_.api_key};
    co_await post_event_stream(client_, std::move(http), target, stop, handler);
    if (whole) co_return std::move(*whole);
    co_return reader.finish();
  }

 private:
  net::HttpClient client_;
  AnthropicOptions options_;
  net::Url url_;
};

}  // namespace

std::unique_ptr<Provider> make_anthropic_provider(boost::asio::any_io_executor executor,
                                                  AnthropicOptions options) {
  return std::make_unique<AnthropicProvider>(std::move(executor), std::move(options));
}

}  // namespace cove::models
