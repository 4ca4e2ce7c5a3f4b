// The tools an agent may call in a session, as the model sees them and as the loop runs
// them: the built-in toolset (agent_toolset_20260401), each MCP server's tools under an
// mcp_toolset, and custom tools. Holds each tool's permission policy, resolved from the
// agent's tool configuration.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cove::sessions {

using json = nlohmann::json;

enum class ToolKind { builtin, mcp, custom };
enum class Policy { allow, ask, deny };

struct ToolEntry {
  ToolKind kind = ToolKind::builtin;
  std::string model_name;  // the name the model calls
  std::string name;        // built-in tool name, MCP tool name, or custom tool name
  std::string server;      // MCP server name
  json definition;         // {name, description, input_schema} for the model
  std::string policy_type = "always_allow";  // always_allow | always_ask | auto
};

// What the loop does with one call, and the evaluation fields of its tool-use event.
struct Decision {
  Policy policy = Policy::allow;
  json evaluation;  // null when the tool is unknown or disabled
  std::string reason;
};

class Toolbox {
 public:
  // From the agent snapshot's `tools`: built-in and custom tools. MCP tools are added once
  // their servers have listed them.
  explicit Toolbox(const json& agent_tools);

  // The MCP servers the agent's toolsets use (mcp_server_name values), in order.
  std::vector<std::string> mcp_servers() const;
  // Adds the tools one MCP server reported, applying its toolset's enabled/policy config.
  void add_mcp_tools(const std::string& server, const std::vector<json>& tools);

  const ToolEntry* find(const std::string& model_name) const;
  Decision decide(const std::string& model_name, const json& input) const;
  // Tool definitions for the model request, in a stable order.
  json definitions() const;
  bool builtin_enabled(const std::string& name) const;

  // "mcp__<server>__<tool>", the name an MCP tool has towards the model.
  static std::string mcp_model_name(const std::string& server, const std::string& tool);

 private:
  struct ToolsetConfig {
    bool default_enabled = true;
    std::string default_policy;
    std::map<std::string, json> configs;  // by tool name
  };
  std::vector<ToolEntry> entries_;
  std::map<std::string, std::size_t> by_model_name_;
  std::map<std::string, ToolsetConfig> mcp_toolsets_;
  std::vector<std::string> mcp_order_;
  void add(ToolEntry entry);
};

// The input schema and description the model gets for a built-in tool.
json builtin_tool_definition(const std::string& name);
// Every built-in tool name, in toolset order.
const std::vector<std::string>& builtin_tool_names();

}  // namespace cove::sessions
