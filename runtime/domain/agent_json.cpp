// Agents to and from their stored and wire form.
#include "runtime/domain/agent.hpp"

namespace cove::domain {

void to_json(json& out, const ModelConfig& m) {
  out = m.passthrough.is_object() ? m.passthrough : json::object();
  out["id"] = m.id;
  if (m.effort) out["effort"] = {{"type", *m.effort}};
  out["speed"] = m.speed;
}

void from_json(const json& in, ModelConfig& m) {
  m = parse_model(in, "model");
}

void to_json(json& out, const McpServer& s) {
  out = {{"type", "url"}, {"name", s.name}, {"url", s.url}};
}

void to_json(json& out, const Skill& s) {
  out = {{"type", s.type}, {"skill_id", s.skill_id}, {"version", s.version}};
}

void to_json(json& out, const ExecutionIdentity& e) {
  out = {{"type", e.type}};
  if (e.role_arn) out["role_arn"] = *e.role_arn;
}

void to_json(json& out, const AgentSnapshot& a) {
  out = {{"type", "agent"},
         {"id", a.id},
         {"version", a.version},
         {"name", a.name},
         {"description", or_null(a.description)},
         {"model", a.config.model},
         {"system", or_null(a.config.system)},
         {"tools", a.config.tools},
         {"mcp_servers", a.config.mcp_servers},
         {"skills", a.config.skills},
         {"execution_identity", a.config.execution_identity},
         {"multiagent", nullptr}};
}

void from_json(const json& in, AgentSnapshot& a) {
  const std::string path = "agent";
  require_object(in, path);
  a.id = require_string(in, "id", path);
  const json& version = member_or_null(in, "version");
  if (!version.is_number_integer()) invalid(path + ".version", "must be an integer");
  a.version = version.get<int64_t>();
  a.name = require_string(in, "name", path);
  a.description = optional_string(in, "description", path);
  a.config.model = parse_model(member_or_null(in, "model"), path + ".model");
  a.config.system = optional_string(in, "system", path);
  a.config.tools = parse_tools(member_or_null(in, "tools"), path + ".tools");
  a.config.mcp_servers =
      parse_mcp_servers(member_or_null(in, "mcp_servers"), path + ".mcp_servers");
  a.config.skills = parse_skills(member_or_null(in, "skills"), path + ".skills");
  a.config.execution_identity = parse_execution_identity(member_or_null(in, "execution_identity"),
                                                         path + ".execution_identity");
}

void to_json(json& out, const Agent& a) {
  out = a.snapshot;
  out["metadata"] = a.metadata;
  out["created_at"] = a.created_at;
  out["updated_at"] = a.updated_at;
  out["archived_at"] = or_null(a.archived_at);
}

void from_json(const json& in, Agent& a) {
  a.snapshot = in.get<AgentSnapshot>();
  a.metadata = parse_metadata(member_or_null(in, "metadata"), "agent.metadata");
  a.created_at = optional_string(in, "created_at", "agent").value_or("");
  a.updated_at = optional_string(in, "updated_at", "agent").value_or("");
  a.archived_at = optional_string(in, "archived_at", "agent");
}

}  // namespace cove::domain
