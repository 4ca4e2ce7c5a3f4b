// Agents: a versioned configuration (model, system prompt, tools, MCP servers, skills,
// execution identity). Every update that changes something makes a new version; a session
// keeps an AgentSnapshot of the version it was created with (no metadata or timestamps).
// Parsing validates request JSON and fills in every default, naming the field on error;
// the resolved form parses to itself, so stored bodies are read with the same parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/domain/metadata.hpp"

namespace cove::domain {

struct ModelConfig {
  std::string id;                     // the model's name, possibly "provider:name"
  std::optional<std::string> effort;  // low, medium, high, xhigh or max
  std::string speed = "standard";     // or "fast"
  // The request object's other members (inference_geo, ...), echoed as given.
  json passthrough = json::object();
};

struct McpServer {  // type "url"
  std::string name;
  std::string url;  // http(s), no credentials (those live in a vault)
};

struct Skill {
  std::string type;  // anthropic or custom
  std::string skill_id;
  std::string version = "latest";
};

struct ExecutionIdentity {
  std::string type = "service_account";  // or aws_role
  std::optional<std::string> role_arn;   // aws_role only
};

struct AgentConfig {
  ModelConfig model;
  std::optional<std::string> system;
  // Resolved tool entries (agent_toolset_20260401 / mcp_toolset with every config and
  // permission policy filled in, custom tools as given); the Toolbox reads them.
  json tools = json::array();
  std::vector<McpServer> mcp_servers;
  std::vector<Skill> skills;
  ExecutionIdentity execution_identity;
};

// What a session keeps of an agent version.
struct AgentSnapshot {
  std::string id;  // "agent_..."
  int64_t version = 1;
  std::string name;
  std::optional<std::string> description;
  AgentConfig config;
};

struct Agent {
  AgentSnapshot snapshot;
  Metadata metadata;
  std::string created_at, updated_at;
  std::optional<std::string> archived_at;
};

void to_json(json& out, const ModelConfig& model);
void from_json(const json& in, ModelConfig& model);
void to_json(json& out, const McpServer& server);
void to_json(json& out, const Skill& skill);
void to_json(json& out, const ExecutionIdentity& identity);
void to_json(json& out, const AgentSnapshot& snapshot);  // type "agent", multiagent null
void from_json(const json& in, AgentSnapshot& snapshot);
void to_json(json& out, const Agent& agent);
void from_json(const json& in, Agent& agent);

// --- request parsers (agent_parts.cpp, agent_tools.cpp, agent_toolset.cpp); errors name fields
// below `path` --- "claude-x" or {id, effort?, speed?, inference_geo?}.
ModelConfig parse_model(const json& value, const std::string& path);
// Built-in toolsets default to always_allow, MCP toolsets to always_ask.
json parse_tools(const json& value, const std::string& path);
// One agent_toolset_20260401 (`builtin`) or mcp_toolset entry of tools[].
json parse_toolset(const json& tool, const std::string& path, bool builtin);
std::vector<McpServer> parse_mcp_servers(const json& value, const std::string& path);
std::vector<Skill> parse_skills(const json& value, const std::string& path);
ExecutionIdentity parse_execution_identity(const json& value, const std::string& path);
// Every MCP server is used by an mcp_toolset and every mcp_toolset names a server.
void check_mcp_references(const AgentConfig& config);

// --- agent.cpp: ids and timestamps come from the caller ---
Agent agent_from_create(const json& request, const std::string& id, const std::string& now);
// The next version after an update request; `*changed` is false when nothing differs (the
// version is then kept).
Agent agent_after_update(const Agent& current, const json& request, const std::string& now,
                         bool* changed);

}  // namespace cove::domain
