// Agent configuration in its resolved (response) form: model, tools, MCP servers, skills.
// Parsing validates request JSON and fills in every default, naming the field on error.
#pragma once

#include "runtime/api/common.hpp"

namespace cove::api {

// "claude-x" or {id, effort?, speed?, inference_geo?} → {id, effort?, speed, inference_geo?}.
json resolve_model(const json& value, const std::string& path);
// tools[] with defaults filled in (built-in toolset: always_allow; MCP toolsets: always_ask).
json resolve_tools(const json& value, const std::string& path);
json resolve_mcp_servers(const json& value, const std::string& path);
json resolve_skills(const json& value, const std::string& path);
json resolve_execution_identity(const json& value, const std::string& path);
// Every MCP server is used by an mcp_toolset and every mcp_toolset names a server.
void check_mcp_references(const json& tools, const json& mcp_servers);

// The body of a new agent (version 1) from a create request.
json agent_from_create(const json& request, const std::string& id, int64_t now);
// The next version of `current` after an update request; `changed` says whether anything
// differs (an update that changes nothing keeps the version).
json agent_after_update(const json& current, const json& request, int64_t now, bool* changed);
// The session's snapshot of an agent version (no timestamps or metadata).
json agent_snapshot(const json& agent);

}  // namespace cove::api
