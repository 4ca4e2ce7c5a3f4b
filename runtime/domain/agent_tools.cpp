// An agent's tools[] (toolsets and custom tools) and their references to MCP servers.
#include <set>

#include "runtime/domain/agent.hpp"

namespace cove::domain {

namespace {

json resolve_custom(const json& t, const std::string& tpath) {
  auto name = require_string(t, "name", tpath, 1, 128);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      invalid(tpath + ".name", "may only contain letters, digits, _ and -");
  const json* schema = member(t, "input_schema");
  if (!schema || !schema->is_object()) invalid(tpath + ".input_schema", "must be an object");
  optional_string(t, "description", tpath);
  return t;
}

}  // namespace

json parse_tools(const json& value, const std::string& path) {
  if (value.is_null()) return json::array();
  if (!value.is_array()) invalid(path, "must be an array");
  if (value.size() > 256) invalid(path, "may have at most 256 entries");
  json out = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto tpath = index_path(path, i);
    const json& t = require_object(value[i], tpath);
    auto type = require_string(t, "type", tpath);
    if (type == "agent_toolset_20260401") {
      out.push_back(parse_toolset(t, tpath, true));
    } else if (type == "mcp_toolset") {
      require_string(t, "mcp_server_name", tpath, 1, 255);
      out.push_back(parse_toolset(t, tpath, false));
    } else if (type == "custom") {
      out.push_back(resolve_custom(t, tpath));
    } else {
      invalid(tpath + ".type", "must be agent_toolset_20260401, mcp_toolset or custom");
    }
  }
  return out;
}

void check_mcp_references(const AgentConfig& config) {
  std::set<std::string> servers, used;
  for (const auto& s : config.mcp_servers)
    servers.insert(s.name);
  for (std::size_t i = 0; i < config.tools.size(); ++i) {
    if (config.tools[i]["type"] != "mcp_toolset") continue;
    auto name = config.tools[i]["mcp_server_name"].get<std::string>();
    if (!servers.count(name))
      invalid(index_path("tools", i) + ".mcp_server_name",
              name + " does not match any mcp_servers[].name");
    used.insert(name);
  }
  for (std::size_t i = 0; i < config.mcp_servers.size(); ++i)
    if (!used.count(config.mcp_servers[i].name))
      invalid(index_path("mcp_servers", i), "is not referenced by any mcp_toolset in tools");
}

}  // namespace cove::domain
