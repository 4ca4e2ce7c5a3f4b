#include "runtime/sessions/history.hpp"

#include <algorithm>

#include "runtime/sessions/toolbox.hpp"

namespace cove::sessions {

namespace {

namespace event_type = domain::event_type;

// User content as the model takes it: text, image and document blocks pass through;
// blocks the model cannot take become a short text note.
json user_blocks(const json& content) {
  json out = json::array();
  if (!content.is_array()) return out;
  for (const auto& b : content) {
    std::string type = b.value("type", "");
    if (type == "text" || type == "image" || type == "document")
      out.push_back(b);
    else if (type == "search_result")
      out.push_back({{"type", "text"}, {"text", b.dump()}});
    else
      out.push_back({{"type", "text"}, {"text", "[" + type + " content withheld]"}});
  }
  return out;
}

json result_block(const std::string& tool_use_id, const json& content, bool is_error) {
  json blocks = json::array();
  if (content.is_array())
    for (const auto& b : content)
      if (b.value("type", "") == "text" || b.value("type", "") == "image") blocks.push_back(b);
  json r = {{"type", "tool_result"}, {"tool_use_id", tool_use_id}, {"content", blocks}};
  if (is_error) r["is_error"] = true;
  return r;
}

void erase_pending(std::vector<PendingTool>& pending, const std::string& id) {
  std::erase_if(pending, [&](const PendingTool& p) { return p.event_id == id; });
}

}  // namespace

std::string model_tool_name(const json& event) {
  std::string type = event.value("type", "");
  if (type == event_type::kAgentMcpToolUse)
    return Toolbox::mcp_model_name(event.value("mcp_server_name", ""), event.value("name", ""));
  return event.value("name", "");
}

void History::add(const std::string& role, json blocks) {
  if (!blocks.is_array() || blocks.empty()) return;
  if (!messages_.empty() && messages_.back()["role"] == role) {
    json& content = messages_.back()["content"];
    for (auto& b : blocks) {
      if (b.value("type", "") == "tool_result") {
        // After the last tool_result already there, before any other user content.
        auto pos = std::find_if(content.begin(), content.end(),
                                [](const json& x) { return x.value("type", "") != "tool_result"; });
        content.insert(pos, std::move(b));
      } else {
        content.push_back(std::move(b));
      }
    }
    return;
  }
  messages_.push_back({{"role", role}, {"content", std::move(blocks)}});
}

bool History::awaiting_model() const {
  return !messages_.empty() && messages_.back()["role"] == "user";
}

void History::apply(const store::Event& event, std::vector<PendingTool>& pending) {
  const json& e = event.body;
  const std::string& type = event.type;
  if (type == event_type::kUserMessage) {
    add("user", user_blocks(e.value("content", json::array())));
  } else if (type == event_type::kSystemMessage) {
    json blocks = json::array();
    for (const auto& b : e.value("content", json::array()))
      blocks.push_back({{"type", "text"}, {"text", "[system] " + b.value("text", "")}});
    add("user", std::move(blocks));
  } else if (type == event_type::kAgentMessage) {
    json blocks = json::array();
    for (const auto& b : e.value("content", json::array()))
      if (b.value("type", "") == "text") blocks.push_back(b);
    add("assistant", std::move(blocks));
  } else if (type == event_type::kAgentToolUse || type == event_type::kAgentMcpToolUse ||
             type == event_type::kAgentCustomToolUse) {
    add("assistant", json::array({{{"type", "tool_use"},
                                   {"id", event.id},
                                   {"name", model_tool_name(e)},
                                   {"input", e.value("input", json::object())}}}));
    if (type == event_type::kAgentCustomToolUse || e.value("evaluated_permission", "") == "ask")
      pending.push_back({event.id, type, e.value("name", ""), e.value("mcp_server_name", ""),
                         e.value("input", json::object())});
  } else if (type == event_type::kAgentToolResult || type == event_type::kAgentMcpToolResult) {
    std::string id = e.value(
        type == event_type::kAgentToolResult ? "tool_use_id" : "mcp_tool_use_id", std::string());
    add("user", json::array({result_block(id, e.value("content", json::array()),
                                          e.value("is_error", false))}));
    erase_pending(pending, id);
  } else if (type == event_type::kUserCustomToolResult) {
    std::string id = e.value("custom_tool_use_id", "");
    add("user", json::array({result_block(id, e.value("content", json::array()),
                                          e.value("is_error", false))}));
    erase_pending(pending, id);
  }
}

}  // namespace cove::sessions
