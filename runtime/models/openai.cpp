// The `openai` provider: Messages form ↔ chat completions, and the HTTP exchange.
#include "runtime/models/openai.hpp"

#include <random>
#include <stdexcept>

#include "net/http_client.hpp"
#include "runtime/models/errors.hpp"
#include "runtime/models/event_stream.hpp"

namespace cove::models {

namespace {

ModelError malformed(std::string_view what) {
  return ModelError(ModelErrorKind::server,
                    "openai model stream is malformed: " + std::string(what));
}

std::string string_or(const json& object, const char* key, std::string fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// What stands in for content a text-only chat endpoint cannot take.
std::string omitted_note(const std::string& type) {
  return "[" + type + " omitted: this model endpoint receives text only]";
}

// A tool_result's content as one text (chat tool messages carry text only).
std::string tool_result_text(const json& block) {
  std::string text;
  const json& content = block.contains("content") ? block["content"] : json();
  if (content.is_string()) {
    text = content.get<std::string>();
  } else if (content.is_array()) {
    std::vector<std::string> parts;
    for (const auto& part : content) {
      auto type = string_or(part, "type");
      if (type == "text")
        parts.push_back(string_or(part, "text"));
      else if (!type.empty())
        parts.push_back(omitted_note(type));
    }
    text = join(parts, "\n");
  }
  if (block.value("is_error", false)) text = "Error: " + text;
  return text;
}

void add_assistant(const json& content, json& out) {
  std::vector<std::string> texts;
  json calls = json::array();
  for (const auto& block : content) {
    auto type = string_or(block, "type");
    if (type == "text") {
      texts.push_back(string_or(block, "text"));
    } else if (type == "tool_use") {
      json input = block.contains("input") ? block["input"] : json::object();
      calls.push_back(
          {{"id", string_or(block, "id")},
           {"type", "function"},
           {"function",
            {{"name", string_or(block, "name")},
             {"arguments", input.dump(-1, ' ', false, json::error_handler_t::replace)}}}});
    }
    // thinking / redacted_thinking mean nothing to another model: dropped.
  }
  json message = {{"role", "assistant"}};
  if (texts.empty())
    message["content"] = calls.empty() ? json("") : json(nullptr);
  else
    message["content"] = join(texts, "\n\n");
  if (!calls.empty()) message["tool_calls"] = std::move(calls);
  out.push_back(std::move(message));
}

void add_user(const json& content, json& out) {
  std::vector<std::string> texts;
  for (const auto& block : content) {
    auto type = string_or(block, "type");
    if (type == "tool_result") {
      out.push_back({{"role", "tool"},
                     {"tool_call_id", string_or(block, "tool_use_id")},
                     {"content", tool_result_text(block)}});
    } else if (type == "text") {
      texts.push_back(string_or(block, "text"));
    } else if (!type.empty()) {
      texts.push_back(omitted_note(type));
    }
  }
  if (!texts.empty()) out.push_back({{"role", "user"}, {"content", join(texts, "\n\n")}});
}

std::string stop_reason_for(const std::string& finish_reason, bool has_tool_calls) {
  if (finish_reason == "length") return "max_tokens";
  if (has_tool_calls) return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  return "end_turn";
}

}  // namespace

json chat_request_body(const ModelRequest& request) {
  json messages = json::array();
  if (!request.system.empty())
    messages.push_back({{"role", "system"}, {"content", request.system}});
  for (const auto& message : request.messages) {
    auto role = string_or(message, "role");
    const json& content = message.contains("content") ? message["content"] : json();
    if (content.is_string())
      messages.push_back({{"role", role}, {"content", content}});
    else if (content.is_array() && role == "assistant")
      add_assistant(content, messages);
    else if (content.is_array())
      add_user(content, messages);
  }
  json body = {{"model", request.model},
               {"messages", std::move(messages)},
               {"max_tokens", request.max_tokens},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  if (request.tools.is_array() && !request.tools.empty()) {
    json tools = json::array();
    for (const auto& tool : request.tools) {
      json function = {{"name", string_or(tool, "name")}};
      if (tool.contains("description")) function["description"] = tool["description"];
      function["parameters"] =
          tool.contains("input_schema") ? tool["input_schema"] : json{{"type", "object"}};
      tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
  }
  return body;
}

json& ChatStreamReader::open_block(const std::string& type) {
  if (!content_.empty() && content_.back()["type"] == type) return content_.back();
  json block = {{"type", type}};
  if (type == "text") block["text"] = "";
  if (type == "thinking") {
    block["thinking"] = "";
    block["signature"] = "";
  }
  content_.push_back(std::move(block));
  if (sink_.on_block_start) sink_.on_block_start(static_cast<int>(content_.size() - 1), type);
  return content_.back();
}

void ChatStreamReader::tool_call_delta(const json& call, std::size_t position) {
  if (!call.is_object()) throw malformed("a tool_calls entry is not an object");
  int64_t key = call.contains("index") && call["index"].is_number_integer()
                    ? call["index"].get<int64_t>()
                    : static_cast<int64_t>(position);
  const json& function = call.contains("function") ? call["function"] : json();
  auto it = tool_blocks_.find(key);
  if (it == tool_blocks_.end()) {
    auto id = string_or(call, "id");
    content_.push_back({{"type", "tool_use"},
                        {"id", id.empty() ? new_id_() : id},
                        {"name", string_or(function, "name")},
                        {"input", json::object()}});
    auto index = content_.size() - 1;
    it = tool_blocks_.emplace(key, index).first;
    if (sink_.on_block_start) sink_.on_block_start(static_cast<int>(index), "tool_use");
  } else {
    auto& block = content_[it->second];
    auto name = string_or(function, "name");
    if (!name.empty() && block["name"] == "") block["name"] = name;
  }
  auto& args = arguments_[it->second];
  if (function.contains("arguments")) {
    const auto& piece = function["arguments"];
    // Some servers send arguments as an object rather than JSON text.
    args += piece.is_string() ? piece.get<std::string>() : piece.is_null() ? "" : piece.dump();
  }
}

void ChatStreamReader::feed_chunk(const json& chunk) {
  if (!chunk.is_object()) throw malformed("a chunk is not a JSON object");
  if (chunk.contains("error") && !chunk["error"].is_null())
    throw error_for_stream_error("openai", chunk["error"], "");
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    const auto& u = chunk["usage"];
    int64_t prompt = u.value("prompt_tokens", int64_t{0});
    int64_t cached = 0;
    if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object())
      cached = u["prompt_tokens_details"].value("cached_tokens", int64_t{0});
    usage_.input_tokens = std::max<int64_t>(0, prompt - cached);
    usage_.cache_read_input_tokens = cached;
    usage_.output_tokens = u.value("completion_tokens", int64_t{0});
  }
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return;
  for (const auto& choice : chunk["choices"]) {
    if (!choice.is_object() || choice.value("index", 0) != 0) continue;
    const json& delta = choice.contains("delta") ? choice["delta"] : json();
    if (delta.is_object()) {
      auto reasoning = string_or(delta, "reasoning_content", string_or(delta, "reasoning"));
      if (!reasoning.empty())
        open_block("thinking")["thinking"].get_ref<std::string&>() += reasoning;
      auto text = string_or(delta, "content");
      if (!text.empty()) {
        open_block("text")["text"].get_ref<std::string&>() += text;
        if (sink_.on_text_delta) sink_.on_text_delta(static_cast<int>(content_.size() - 1), text);
      }
      if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
        std::size_t position = 0;
        for (const auto& call : delta["tool_calls"])
          tool_call_delta(call, position++);
      }
    }
    auto reason = string_or(choice, "finish_reason");
    if (!reason.empty()) finish_reason_ = reason;
  }
}

bool ChatStreamReader::feed(std::string_view data) {
  auto first = data.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  if (data.substr(first, 6) == "[DONE]") {
    done_ = true;
    return true;
  }
  json chunk = json::parse(data, nullptr, false);
  if (chunk.is_discarded())
    throw malformed("a chunk is not JSON: " + std::string(data.substr(0, 200)));
  try {
    feed_chunk(chunk);
  } catch (const json::exception& e) {
    throw malformed(e.what());
  }
  return false;
}

ModelReply ChatStreamReader::finish() {
  if (!done_ && finish_reason_.empty())
    throw ModelError(ModelErrorKind::server, "openai model stream ended before a finish_reason");
  ModelReply reply;
  reply.content = content_;
  for (const auto& [index, text] : arguments_) {
    auto& block = reply.content[index];
    if (block["name"] == "")
      throw ModelError(ModelErrorKind::server, "openai model sent a tool call without a name");
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    json input = json::parse(text, nullptr, false);
    if (input.is_null()) continue;
    if (!input.is_object() && finish_reason_ == "length") continue;  // cut off mid-arguments
    if (!input.is_object())
      throw ModelError(ModelErrorKind::server,
                       "openai model sent arguments for tool " + block["name"].get<std::string>() +
                           " that are not a JSON object: " + text.substr(0, 200));
    block["input"] = std::move(input);
  }
  reply.stop_reason = stop_reason_for(finish_reason_, !tool_blocks_.empty());
  reply.usage = usage_;
  return reply;
}

ModelReply chat_reply_from_completion(const json& completion, const StreamSink& sink,
                                      std::function<std::string()> new_id) {
  if (!completion.is_object() || !completion.contains("choices") ||
      !completion["choices"].is_array())
    throw ModelError(ModelErrorKind::server, "openai model answer has no choices");
  // A whole answer is one big chunk: message in place of delta, tool calls indexed.
  json chunk = {{"choices", json::array()}};
  if (completion.contains("usage")) chunk["usage"] = completion["usage"];
  for (const auto& choice : completion["choices"]) {
    json message = choice.value("message", json::object());
    if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
      int64_t i = 0;
      for (auto& call : message["tool_calls"])
        if (call.is_object()) call["index"] = i++;
    }
    chunk["choices"].push_back({{"index", choice.value("index", 0)},
                                {"delta", message},
                                {"finish_reason", choice.value("finish_reason", json("stop"))}});
  }
  ChatStreamReader reader(sink, std::move(new_id));
  try {
    reader.feed_chunk(chunk);
  } catch (const json::exception& e) {
    throw malformed(e.what());
  }
  return reader.finish();
}

namespace {

class OpenAiProvider : public Provider {
 public:
  OpenAiProvider(boost::asio::any_io_executor executor, OpenAiOptions options)
      : client_(std::move(executor)),
        options_(std::move(options)),
        random_(std::random_device{}()) {
    url_ = endpoint_url("openai", options_.base_url, "/chat/completions");
  }

  Task<ModelReply> complete(const ModelRequest& request, const StreamSink& sink,
                            std::stop_token stop) override {
    net::HttpRequest http;
    http.method = "POST";
    http.url = url_;
    http.read_timeout = options_.request_timeout;
    http.headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}};
    if (!options_.api_key.empty())
      http.headers.push_back({"authorization", "Bearer " + options_.api_key});
    json body = chat_request_body(request);
    if (request.model.empty()) body["model"] = options_.model;
    http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);

    auto new_id = [this] { return tool_call_id(); };
    ChatStreamReader reader(sink, new_id);
    std::optional<ModelReply> whole;
    EventStreamHandler handler{[&](const net::SseEvent& event) { return reader.feed(event.data); },
                               [&](const std::string& body) {
                                 whole = chat_reply_from_completion(
                                     json::parse(body, nullptr, false), sink, new_id);
                               }};
    // Named, not a braced temporary: GCC 12 mishandles those inside co_await expressions.
    EventStreamTarget target{"openai", options_.api_key};
    co_await post_event_stream(client_, std::move(http), target, stop, handler);
    if (whole) co_return std::move(*whole);
    co_return reader.finish();
  }

 private:
  std::string tool_call_id() {
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "call_";
    for (int i = 0; i < 24; ++i)
      id += hex[random_() % 16];
    return id;
  }

  net::HttpClient client_;
  OpenAiOptions options_;
  net::Url url_;
  std::mt19937_64 random_;
};

}  // namespace

std::unique_ptr<Provider> make_openai_provider(boost::asio::any_io_executor executor,
                                               OpenAiOptions options) {
  return std::make_unique<OpenAiProvider>(std::move(executor), std::move(options));
}

}  // namespace cove::models
