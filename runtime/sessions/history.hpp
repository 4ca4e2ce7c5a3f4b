// The conversation the model sees, in Messages API form, derived from the session's events:
// user messages, the agent's text and tool calls, and tool results. Tool calls are named by
// their event ids, so the history can be rebuilt from the event log alone (after a restart,
// or when a session is picked up again).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/domain/event_types.hpp"
#include "runtime/store/store.hpp"

namespace cove::sessions {

using json = nlohmann::json;

// A tool call that waits for the client: a confirmation (always_ask) or a custom tool result.
struct PendingTool {
  std::string event_id;
  std::string event_type;  // agent.tool_use | agent.mcp_tool_use | agent.custom_tool_use
  std::string name;        // tool name (MCP: as the server reports it)
  std::string server;      // MCP server name
  json input;
  bool custom() const { return event_type == domain::event_type::kAgentCustomToolUse; }
};

class History {
 public:
  // Appends content blocks for `role` ("user" or "assistant"), merging into the last
  // message when it has the same role; tool_result blocks stay ahead of other user content.
  void add(const std::string& role, json blocks);
  const json& messages() const { return messages_; }
  bool empty() const { return messages_.empty(); }
  // True when the last message is the user's (the model should answer).
  bool awaiting_model() const;

  // Applies one stored event. Tool calls waiting for the client are tracked in `pending`.
  void apply(const store::Event& event, std::vector<PendingTool>& pending);

 private:
  json messages_ = json::array();
};

// The model-facing tool name of a stored tool-use event.
std::string model_tool_name(const json& event);

}  // namespace cove::sessions
