// Model script format: parse, validate, write (see script.hpp and docs/models.md).
#include "runtime/models/script.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/models/errors.hpp"

namespace cove::models {

namespace {

using std::invalid_argument;

// Keys only tests/models/model_server.mjs understands (they shape an HTTP answer).
constexpr std::string_view server_only_keys[] = {"cut_after", "end_after", "stall_after",
                                                 "chunk_delay_ms"};

void only_keys(const json& object, std::initializer_list<std::string_view> allowed,
               const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    bool ok = key == "comment";
    for (auto a : allowed)
      ok = ok || key == a;
    if (ok) continue;
    for (auto s : server_only_keys)
      if (key == s)
        throw invalid_argument(where + "'" + key +
                               "' is understood only by tests/models/model_server.mjs");
    std::string list;
    for (auto a : allowed)
      list += (list.empty() ? "" : ", ") + std::string(a);
    throw invalid_argument(where + "unknown key '" + key + "' (known: " + list + ")");
  }
}

const json* member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string need_string(const json& object, const char* key, const std::string& where) {
  auto* v = member(object, key);
  if (!v || !v->is_string()) throw invalid_argument(where + "needs a string '" + key + "'");
  return v->get<std::string>();
}

int64_t need_count(const json& value, const std::string& what) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0)
    throw invalid_argument(what + " must be a non-negative integer");
  return value.get<int64_t>();
}

std::chrono::milliseconds need_ms(const json& value, double scale, const std::string& what) {
  if (!value.is_number() || value.get<double>() < 0)
    throw invalid_argument(what + " must be a non-negative number");
  return std::chrono::milliseconds(static_cast<int64_t>(value.get<double>() * scale));
}

json parse_block(json block, std::size_t turn, std::size_t index) {
  std::string where = "content[" + std::to_string(index) + "] ";
  if (!block.is_object() || !block.contains("type") || !block["type"].is_string())
    throw invalid_argument(where + "must be an object with a string 'type'");
  auto type = block["type"].get<std::string>();
  where += "(" + type + ") ";
  if (type == "text") {
    need_string(block, "text", where);
  } else if (type == "thinking") {
    need_string(block, "thinking", where);
    if (!block.contains("signature")) block["signature"] = "";
    need_string(block, "signature", where);
  } else if (type == "redacted_thinking") {
    need_string(block, "data", where);
  } else if (type == "tool_use") {
    if (need_string(block, "name", where).empty())
      throw invalid_argument(where + "has an empty name");
    if (!block.contains("id"))
      block["id"] = "toolu_scripted_" + std::to_string(turn) + "_" + std::to_string(index);
    if (need_string(block, "id", where).empty()) throw invalid_argument(where + "has an empty id");
    if (!block.contains("input")) block["input"] = json::object();
    if (!block["input"].is_object()) throw invalid_argument(where + "input must be an object");
  }
  return block;
}

Usage parse_usage(const json& usage) {
  if (!usage.is_object()) throw invalid_argument("usage must be an object");
  only_keys(
      usage,
      {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"},
      "usage: ");
  Usage out;
  auto read = [&](const char* key, int64_t& into) {
    if (auto* v = member(usage, key)) into = need_count(*v, std::string("usage.") + key);
  };
  read("input_tokens", out.input_tokens);
  read("output_tokens", out.output_tokens);
  read("cache_creation_input_tokens", out.cache_creation_input_tokens);
  read("cache_read_input_tokens", out.cache_read_input_tokens);
  return out;
}

ScriptError parse_error(const json& error) {
  if (!error.is_object()) throw invalid_argument("error must be an object");
  only_keys(error,
            {"status", "kind", "type", "message", "retry_after", "retry_after_ms", "in_stream"},
            "error: ");
  ScriptError out;
  std::optional<ModelErrorKind> kind;
  if (auto* status = member(error, "status")) {
    if (!status->is_number_integer() || *status < 100 || *status > 599)
      throw invalid_argument("error.status must be an HTTP status (100-599)");
    out.status = status->get<int>();
    kind = kind_for_status(out.status);
  }
  if (auto* type = member(error, "type")) {
    if (!type->is_string()) throw invalid_argument("error.type must be a string");
    if (auto k = kind_for_error_type(type->get<std::string>())) kind = k;
  }
  if (auto* name = member(error, "kind")) {
    auto k = name->is_string() ? kind_from_name(name->get<std::string>()) : std::nullopt;
    if (!k || *k == ModelErrorKind::interrupted)
      throw invalid_argument(
          "error.kind must be one of overloaded, rate_limited, server, network, request_failed");
    kind = k;
  }
  if (!kind) throw invalid_argument("error needs a 'status' or a 'kind'");
  out.kind = *kind;
  if (auto* message = member(error, "message")) {
    if (!message->is_string()) throw invalid_argument("error.message must be a string");
    out.message = message->get<std::string>();
  }
  if (out.message.empty())
    out.message = "scripted model error (" + std::string(kind_name(out.kind)) +
                  (out.status ? ", HTTP " + std::to_string(out.status) : "") + ")";
  if (auto* ms = member(error, "retry_after_ms"))
    out.retry_after = need_ms(*ms, 1, "error.retry_after_ms");
  else if (auto* s = member(error, "retry_after"))
    out.retry_after = need_ms(*s, 1000, "error.retry_after");
  if (auto* in_stream = member(error, "in_stream"); in_stream && !in_stream->is_boolean())
    throw invalid_argument("error.in_stream must be true or false");
  return out;
}

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

ScriptTurn parse_script_turn(const json& turn, std::size_t number) {
  if (!turn.is_object()) throw invalid_argument("a turn must be a JSON object");
  only_keys(turn, {"content", "stop_reason", "usage", "error", "delay_ms"}, "");
  ScriptTurn out;
  if (auto* delay = member(turn, "delay_ms")) out.delay = need_ms(*delay, 1, "delay_ms");
  if (auto* error = member(turn, "error")) {
    if (turn.contains("content") || turn.contains("stop_reason") || turn.contains("usage"))
      throw invalid_argument("a turn has either 'error' or a reply (content, stop_reason, usage)");
    out.error = parse_error(*error);
    return out;
  }
  ModelReply reply;
  if (auto* content = member(turn, "content")) {
    if (!content->is_array()) throw invalid_argument("content must be an array of blocks");
    for (std::size_t i = 0; i < content->size(); ++i)
      reply.content.push_back(parse_block((*content)[i], number, i));
  }
  bool has_tool_use = false;
  for (const auto& block : reply.content)
    has_tool_use = has_tool_use || block["type"] == "tool_use";
  reply.stop_reason = has_tool_use ? "tool_use" : "end_turn";
  if (auto* reason = member(turn, "stop_reason")) {
    if (!reason->is_string()) throw invalid_argument("stop_reason must be a string");
    reply.stop_reason = reason->get<std::string>();
  }
  if (auto* usage = member(turn, "usage")) reply.usage = parse_usage(*usage);
  out.reply = std::move(reply);
  return out;
}

std::vector<ScriptTurn> parse_script(std::string_view text, const std::string& name) {
  std::string prefix = "model script '" + name + "': ";
  if (blank(text)) throw invalid_argument(prefix + "is empty (no turns)");
  std::vector<ScriptTurn> turns;
  auto add = [&](const json& turn, const std::string& where) {
    try {
      turns.push_back(parse_script_turn(turn, turns.size() + 1));
    } catch (const std::exception& e) {
      throw invalid_argument(prefix + where + ": " + e.what());
    }
  };
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("turns")) {
    try {
      only_keys(doc, {"turns"}, "");
    } catch (const std::exception& e) {
      throw invalid_argument(prefix + e.what());
    }
    if (!doc["turns"].is_array()) throw invalid_argument(prefix + "'turns' must be an array");
    for (const auto& turn : doc["turns"])
      add(turn, "turn " + std::to_string(turns.size() + 1));
  } else if (!doc.is_discarded() && doc.is_array()) {
    for (const auto& turn : doc)
      add(turn, "turn " + std::to_string(turns.size() + 1));
  } else if (!doc.is_discarded()) {
    add(doc, "turn 1");  // a single turn, possibly spread over several lines
  } else {
    std::size_t line_number = 0, start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      auto line = text.substr(start, end - start);
      ++line_number;
      start = end + 1;
      if (blank(line)) continue;
      std::string where = "line " + std::to_string(line_number);
      json turn;
      try {
        turn = json::parse(line);
      } catch (const json::parse_error& e) {
        throw invalid_argument(prefix + where + ": not valid JSON (" + e.what() + ")");
      }
      add(turn, where + " (turn " + std::to_string(turns.size() + 1) + ")");
    }
  }
  if (turns.empty()) throw invalid_argument(prefix + "has no turns");
  return turns;
}

std::vector<ScriptTurn> load_script(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int err = errno;
    throw invalid_argument("model script '" + file.string() +
                           "' cannot be read: " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_script(text.str(), file.string());
}

json script_turn_json(const ModelReply& reply) {
  return {{"content", reply.content},
          {"stop_reason", reply.stop_reason},
          {"usage",
           {{"input_tokens", reply.usage.input_tokens},
            {"output_tokens", reply.usage.output_tokens},
            {"cache_creation_input_tokens", reply.usage.cache_creation_input_tokens},
            {"cache_read_input_tokens", reply.usage.cache_read_input_tokens}}}};
}

json script_turn_json(const ModelError& error) {
  json e = {{"kind", kind_name(error.kind())}, {"message", error.what()}};
  if (error.status() >= 100 && error.status() <= 599) e["status"] = error.status();
  if (error.retry_after()) e["retry_after_ms"] = error.retry_after()->count();
  return {{"error", std::move(e)}};
}

ModelError script_error(const ScriptError& error) {
  return ModelError(error.kind, error.message, error.status, error.retry_after);
}

std::vector<std::string_view> split_for_stream(std::string_view text, std::size_t pieces) {
  std::vector<std::string_view> out;
  if (text.empty() || pieces == 0) return out;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= pieces && start < text.size(); ++i) {
    std::size_t end = i == pieces ? text.size() : text.size() * i / pieces;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      ++end;  // never inside a UTF-8 sequence
    if (end <= start) continue;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace cove::models
