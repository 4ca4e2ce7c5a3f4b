// Creating an agent and making its next version from API requests.
#include "runtime/domain/agent.hpp"

namespace cove::domain {

namespace {

void check_multiagent(const json& request) {
  if (!member_or_null(request, "multiagent").is_null())
    invalid("multiagent", "is not supported by this server");
}

// A string field an update may clear: null or "" → no value.
std::optional<std::string> cleared_or(const json& request, const char* key, std::size_t max_len) {
  auto v = optional_string(request, key, "", max_len);
  return v && !v->empty() ? v : std::nullopt;
}

}  // namespace

ExecutionIdentity parse_execution_identity(const json& value, const std::string& path) {
  if (value.is_null()) return {};
  require_object(value, path);
  auto type = require_string(value, "type", path);
  if (type == "service_account") return {};
  if (type == "aws_role") return {type, require_string(value, "role_arn", path)};
  invalid(path + ".type", "must be service_account or aws_role");
}

Agent agent_from_create(const json& req, const std::string& id, const std::string& now) {
  Agent a;
  AgentSnapshot& s = a.snapshot;
  s.id = id;
  s.name = require_string(req, "name", "", 1, 256);
  const json& model = member_or_null(req, "model");
  if (model.is_null()) invalid("model", "is required");
  check_multiagent(req);
  s.description = optional_string(req, "description", "", 2048);
  AgentConfig& c = s.config;
  c.model = parse_model(model, "model");
  c.system = optional_string(req, "system", "", 100000);
  c.tools = parse_tools(member_or_null(req, "tools"), "tools");
  c.mcp_servers = parse_mcp_servers(member_or_null(req, "mcp_servers"), "mcp_servers");
  check_mcp_references(c);
  c.skills = parse_skills(member_or_null(req, "skills"), "skills");
  c.execution_identity =
      parse_execution_identity(member_or_null(req, "execution_identity"), "execution_identity");
  a.metadata = parse_metadata(member_or_null(req, "metadata"), "metadata");
  a.created_at = a.updated_at = now;
  return a;
}

Agent agent_after_update(const Agent& current, const json& req, const std::string& now,
                         bool* changed) {
  Agent a = current;
  AgentSnapshot& s = a.snapshot;
  AgentConfig& c = s.config;
  if (member(req, "name")) s.name = require_string(req, "name", "", 1, 256);
  if (member(req, "description")) s.description = cleared_or(req, "description", 2048);
  if (const json* m = member(req, "model")) {
    if (m->is_null()) invalid("model", "cannot be cleared");
    c.model = parse_model(*m, "model");
  }
  if (member(req, "system")) c.system = cleared_or(req, "system", 100000);
  if (const json* t = member(req, "tools")) c.tools = parse_tools(*t, "tools");
  if (const json* m = member(req, "mcp_servers"))
    c.mcp_servers = parse_mcp_servers(*m, "mcp_servers");
  check_mcp_references(c);
  if (const json* k = member(req, "skills")) c.skills = parse_skills(*k, "skills");
  check_multiagent(req);
  if (const json* e = member(req, "execution_identity"))
    c.execution_identity = parse_execution_identity(*e, "execution_identity");
  if (const json* m = member(req, "metadata"))
    a.metadata = patch_metadata(a.metadata, *m, "metadata");
  *changed = json(a) != json(current);
  if (*changed) {
    ++s.version;
    a.updated_at = now;
  }
  return a;
}

}  // namespace cove::domain
