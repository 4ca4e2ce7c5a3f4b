// The smaller parts of an agent's configuration: model, MCP servers, skills, identity.
#include <set>

#include "runtime/domain/agent.hpp"
#include "runtime/domain/url_field.hpp"

namespace cove::domain {

ModelConfig parse_model(const json& value, const std::string& path) {
  ModelConfig out;
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().empty()) invalid(path, "must not be empty");
    out.id = value.get<std::string>();
    return out;
  }
  if (!value.is_object()) invalid(path, "must be a string or an object");
  out.id = require_string(value, "id", path, 1, 256);
  if (const json& effort = member_or_null(value, "effort"); !effort.is_null()) {
    static const std::set<std::string> levels = {"low", "medium", "high", "xhigh", "max"};
    if (effort.is_string())
      out.effort = effort.get<std::string>();
    else if (effort.is_object())
      out.effort = require_string(effort, "type", path + ".effort");
    else
      invalid(path + ".effort", "must be a string or an object");
    if (!levels.count(*out.effort))
      invalid(path + ".effort", "must be low, medium, high, xhigh or max");
  }
  out.speed = optional_string(value, "speed", path).value_or("standard");
  if (out.speed != "standard" && out.speed != "fast")
    invalid(path + ".speed", "must be standard or fast");
  if (member(value, "inference_geo")) optional_string(value, "inference_geo", path);
  out.passthrough = value;
  for (const char* known : {"id", "effort", "speed"})
    out.passthrough.erase(known);
  return out;
}

std::vector<McpServer> parse_mcp_servers(const json& value, const std::string& path) {
  if (value.is_null()) return {};
  if (!value.is_array()) invalid(path, "must be an array");
  if (value.size() > 20) invalid(path, "may have at most 20 entries");
  std::set<std::string> names;
  std::vector<McpServer> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto spath = index_path(path, i);
    const json& s = require_object(value[i], spath);
    if (require_string(s, "type", spath) != "url") invalid(spath + ".type", "must be url");
    McpServer server;
    server.name = require_string(s, "name", spath, 1, 255);
    server.url = require_http_url(s, "url", spath, "keep the token in a vault");
    if (!names.insert(server.name).second) invalid(spath + ".name", "repeats " + server.name);
    out.push_back(std::move(server));
  }
  return out;
}

std::vector<Skill> parse_skills(const json& value, const std::string& path) {
  if (value.is_null()) return {};
  if (!value.is_array()) invalid(path, "must be an array");
  if (value.size() > 20) invalid(path, "may have at most 20 entries");
  std::vector<Skill> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto spath = index_path(path, i);
    const json& s = require_object(value[i], spath);
    Skill skill;
    skill.type = require_string(s, "type", spath);
    if (skill.type != "anthropic" && skill.type != "custom")
      invalid(spath + ".type", "must be anthropic or custom");
    skill.skill_id = require_string(s, "skill_id", spath);
    skill.version = optional_string(s, "version", spath).value_or("latest");
    out.push_back(std::move(skill));
  }
  return out;
}

}  // namespace cove::domain
