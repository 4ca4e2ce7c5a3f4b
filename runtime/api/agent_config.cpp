#include "runtime/api/agent_config.hpp"

#include <set>

#include "net/url.hpp"

namespace cove::api {

namespace {

const std::set<std::string> kBuiltinTools = {"bash", "read", "write",     "edit",
                                             "glob", "grep", "web_fetch", "web_search"};
const std::set<std::string> kPolicies = {"always_allow", "always_ask", "auto"};

json resolve_policy(const json* value, const std::string& path, const json& fallback) {
  if (!value || value->is_null()) return fallback;
  require_object(*value, path);
  auto type = require_string(*value, "type", path);
  if (!kPolicies.count(type))
    bad_request(path + ".type must be one of always_allow, always_ask, auto");
  return *value;
}

// {enabled, permission_policy} with inherited values filled in.
json resolve_tool_config(const json* value, const std::string& path, const json& inherited) {
  json out = inherited;
  if (!value || value->is_null()) return out;
  require_object(*value, path);
  if (auto e = optional_bool(*value, "enabled", path)) out["enabled"] = *e;
  out["permission_policy"] =
      resolve_policy(member(*value, "permission_policy"), path + ".permission_policy",
                     inherited["permission_policy"]);
  return out;
}

json resolve_toolset(const json& tool, const std::string& path, const std::string& default_policy,
                     bool builtin) {
  json out = tool;
  json defaults = {{"enabled", true}, {"permission_policy", {{"type", default_policy}}}};
  out["default_config"] =
      resolve_tool_config(member(tool, "default_config"), path + ".default_config", defaults);
  json configs = json::array();
  const json* in = member(tool, "configs");
  if (in && !in->is_null()) {
    if (!in->is_array()) bad_request(path + ".configs must be an array");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < in->size(); ++i) {
      auto cpath = index_path(path + ".configs", i);
      const json& c = require_object((*in)[i], cpath);
      auto name = require_string(c, "name", cpath, 1, 128);
      if (builtin && !kBuiltinTools.count(name))
        bad_request(cpath +
                    ".name must be a built-in tool (bash, read, write, edit, glob, grep, "
                    "web_fetch, web_search)");
      if (!seen.insert(name).second) bad_request(cpath + ".name repeats " + name);
      json resolved = c;
      json base = resolve_tool_config(&c, cpath, out["default_config"]);
      resolved["enabled"] = base["enabled"];
      resolved["permission_policy"] = base["permission_policy"];
      if (builtin) {
        if (auto t = optional_string(c, "type", cpath); t && *t != name)
          bad_request(cpath + ".type must equal its name");
        resolved["type"] = name;
      }
      configs.push_back(std::move(resolved));
    }
  }
  out["configs"] = std::move(configs);
  return out;
}

}  // namespace

json resolve_model(const json& value, const std::string& path) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().empty()) bad_request(path + " must not be empty");
    return {{"id", value}, {"speed", "standard"}};
  }
  if (!value.is_object()) bad_request(path + " must be a string or an object");
  json out = value;
  require_string(value, "id", path, 1, 256);
  if (const json* effort = member(value, "effort"); effort && !effort->is_null()) {
    static const std::set<std::string> levels = {"low", "medium", "high", "xhigh", "max"};
    std::string level;
    if (effort->is_string())
      level = effort->get<std::string>();
    else if (effort->is_object())
      level = require_string(*effort, "type", path + ".effort");
    else
      bad_request(path + ".effort must be a string or an object");
    if (!levels.count(level)) bad_request(path + ".effort must be low, medium, high, xhigh or max");
    out["effort"] = {{"type", level}};
  } else {
    out.erase("effort");
  }
  auto speed = optional_string(value, "speed", path).value_or("standard");
  if (speed != "standard" && speed != "fast") bad_request(path + ".speed must be standard or fast");
  out["speed"] = speed;
  if (member(value, "inference_geo")) optional_string(value, "inference_geo", path);
  return out;
}

json resolve_tools(const json& value, const std::string& path) {
  if (value.is_null()) return json::array();
  if (!value.is_array()) bad_request(path + " must be an array");
  if (value.size() > 256) bad_request(path + " may have at most 256 entries");
  json out = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto tpath = index_path(path, i);
    const json& t = require_object(value[i], tpath);
    auto type = require_string(t, "type", tpath);
    if (type == "agent_toolset_20260401") {
      out.push_back(resolve_toolset(t, tpath, "always_allow", true));
    } else if (type == "mcp_toolset") {
      require_string(t, "mcp_server_name", tpath, 1, 255);
      out.push_back(resolve_toolset(t, tpath, "always_ask", false));
    } else if (type == "custom") {
      auto name = require_string(t, "name", tpath, 1, 128);
      for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
          bad_request(tpath + ".name may only contain letters, digits, _ and -");
      const json* schema = member(t, "input_schema");
      if (!schema || !schema->is_object()) bad_request(tpath + ".input_schema must be an object");
      optional_string(t, "description", tpath);
      out.push_back(t);
    } else {
      bad_request(tpath + ".type must be agent_toolset_20260401, mcp_toolset or custom");
    }
  }
  return out;
}

json resolve_mcp_servers(const json& value, const std::string& path) {
  if (value.is_null()) return json::array();
  if (!value.is_array()) bad_request(path + " must be an array");
  if (value.size() > 20) bad_request(path + " may have at most 20 entries");
  std::set<std::string> names;
  json out = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto spath = index_path(path, i);
    const json& s = require_object(value[i], spath);
    if (require_string(s, "type", spath) != "url") bad_request(spath + ".type must be url");
    auto name = require_string(s, "name", spath, 1, 255);
    auto url = require_string(s, "url", spath);
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      bad_request(spath + ".url must be an http(s) URL");
    if (net::has_userinfo(url))
      bad_request(spath + ".url must not contain credentials; keep the token in a vault");
    if (!names.insert(name).second) bad_request(spath + ".name repeats " + name);
    out.push_back({{"type", "url"}, {"name", name}, {"url", url}});
  }
  return out;
}

json resolve_skills(const json& value, const std::string& path) {
  if (value.is_null()) return json::array();
  if (!value.is_array()) bad_request(path + " must be an array");
  if (value.size() > 20) bad_request(path + " may have at most 20 entries");
  json out = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto spath = index_path(path, i);
    const json& s = require_object(value[i], spath);
    auto type = require_string(s, "type", spath);
    if (type != "anthropic" && type != "custom")
      bad_request(spath + ".type must be anthropic or custom");
    auto skill_id = require_string(s, "skill_id", spath);
    auto version = optional_string(s, "version", spath).value_or("latest");
    out.push_back({{"type", type}, {"skill_id", skill_id}, {"version", version}});
  }
  return out;
}

json resolve_execution_identity(const json& value, const std::string& path) {
  if (value.is_null()) return {{"type", "service_account"}};
  require_object(value, path);
  auto type = require_string(value, "type", path);
  if (type == "service_account") return {{"type", type}};
  if (type == "aws_role")
    return {{"type", type}, {"role_arn", require_string(value, "role_arn", path)}};
  bad_request(path + ".type must be service_account or aws_role");
}

void check_mcp_references(const json& tools, const json& mcp_servers) {
  std::set<std::string> servers, used;
  for (const auto& s : mcp_servers)
    servers.insert(s["name"].get<std::string>());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    if (tools[i]["type"] != "mcp_toolset") continue;
    auto name = tools[i]["mcp_server_name"].get<std::string>();
    if (!servers.count(name))
      bad_request(index_path("tools", i) + ".mcp_server_name " + name +
                  " does not match any mcp_servers[].name");
    used.insert(name);
  }
  for (std::size_t i = 0; i < mcp_servers.size(); ++i)
    if (!used.count(mcp_servers[i]["name"].get<std::string>()))
      bad_request(index_path("mcp_servers", i) + " is not referenced by any mcp_toolset in tools");
}

namespace {

const json kNull = nullptr;

const json& field_or_null(const json& o, std::string_view key) {
  const json* v = member(o, key);
  return v ? *v : kNull;
}

void check_multiagent(const json& request) {
  const json* m = member(request, "multiagent");
  if (m && !m->is_null()) bad_request("multiagent is not supported by this server");
}

}  // namespace

json agent_from_create(const json& req, const std::string& id, int64_t now) {
  auto name = require_string(req, "name", "", 1, 256);
  const json* model = member(req, "model");
  if (!model || model->is_null()) bad_request("model is required");
  check_multiagent(req);
  json a = {{"type", "agent"}, {"id", id}, {"version", 1}, {"name", name}};
  auto description = optional_string(req, "description", "", 2048);
  a["description"] = description ? json(*description) : json(nullptr);
  a["model"] = resolve_model(*model, "model");
  auto system = optional_string(req, "system", "", 100000);
  a["system"] = system ? json(*system) : json(nullptr);
  a["tools"] = resolve_tools(field_or_null(req, "tools"), "tools");
  a["mcp_servers"] = resolve_mcp_servers(field_or_null(req, "mcp_servers"), "mcp_servers");
  check_mcp_references(a["tools"], a["mcp_servers"]);
  a["skills"] = resolve_skills(field_or_null(req, "skills"), "skills");
  a["multiagent"] = nullptr;
  a["execution_identity"] =
      resolve_execution_identity(field_or_null(req, "execution_identity"), "execution_identity");
  a["metadata"] = metadata_value(field_or_null(req, "metadata"), "metadata");
  a["created_at"] = a["updated_at"] = rfc3339(now);
  a["archived_at"] = nullptr;
  return a;
}

json agent_after_update(const json& current, const json& req, int64_t now, bool* changed) {
  json a = current;
  if (member(req, "name")) a["name"] = require_string(req, "name", "", 1, 256);
  if (member(req, "description")) {
    auto d = optional_string(req, "description", "", 2048);
    a["description"] = d && !d->empty() ? json(*d) : json(nullptr);
  }
  if (const json* m = member(req, "model")) {
    if (m->is_null()) bad_request("model cannot be cleared");
    a["model"] = resolve_model(*m, "model");
  }
  if (member(req, "system")) {
    auto s = optional_string(req, "system", "", 100000);
    a["system"] = s && !s->empty() ? json(*s) : json(nullptr);
  }
  if (const json* t = member(req, "tools")) a["tools"] = resolve_tools(*t, "tools");
  if (const json* m = member(req, "mcp_servers"))
    a["mcp_servers"] = resolve_mcp_servers(*m, "mcp_servers");
  check_mcp_references(a["tools"], a["mcp_servers"]);
  if (const json* s = member(req, "skills")) a["skills"] = resolve_skills(*s, "skills");
  check_multiagent(req);
  if (const json* e = member(req, "execution_identity"))
    a["execution_identity"] = resolve_execution_identity(*e, "execution_identity");
  if (const json* m = member(req, "metadata"))
    a["metadata"] = patch_metadata(a["metadata"], *m, "metadata");
  *changed = a != current;
  if (*changed) {
    a["version"] = current["version"].get<int64_t>() + 1;
    a["updated_at"] = rfc3339(now);
  }
  return a;
}

json agent_snapshot(const json& agent) {
  json s = {{"type", "agent"}};
  for (const char* key : {"id", "version", "name", "description", "model", "system", "tools",
                          "mcp_servers", "skills", "execution_identity", "multiagent"})
    s[key] = agent.contains(key) ? agent[key] : json(nullptr);
  return s;
}

}  // namespace cove::api
