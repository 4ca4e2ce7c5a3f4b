// Toolsets (built-in and MCP) with their per-tool configs resolved: enabled and
// permission_policy inherited from default_config.
#include <set>

#include "runtime/domain/agent.hpp"

namespace cove::domain {

namespace {

const std::set<std::string> kBuiltinTools = {"bash", "read", "write",     "edit",
                                             "glob", "grep", "web_fetch", "web_search"};
const std::set<std::string> kPolicies = {"always_allow", "always_ask", "auto"};

json resolve_policy(const json* value, const std::string& path, const json& fallback) {
  if (!value || value->is_null()) return fallback;
  require_object(*value, path);
  auto type = require_string(*value, "type", path);
  if (!kPolicies.count(type))
    invalid(path + ".type", "must be one of always_allow, always_ask, auto");
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

json resolve_config_entry(const json& c, const std::string& cpath, const json& defaults,
                          bool builtin, std::set<std::string>& seen) {
  auto name = require_string(c, "name", cpath, 1, 128);
  if (builtin && !kBuiltinTools.count(name))
    invalid(cpath + ".name",
            "must be a built-in tool (bash, read, write, edit, glob, grep, web_fetch, web_search)");
  if (!seen.insert(name).second) invalid(cpath + ".name", "repeats " + name);
  json resolved = c;
  json base = resolve_tool_config(&c, cpath, defaults);
  resolved["enabled"] = base["enabled"];
  resolved["permission_policy"] = base["permission_policy"];
  if (builtin) {
    if (auto t = optional_string(c, "type", cpath); t && *t != name)
      invalid(cpath + ".type", "must equal its name");
    resolved["type"] = name;
  }
  return resolved;
}

json resolve_toolset(const json& tool, const std::string& path, const std::string& default_policy,
                     bool builtin) {
  json out = tool;
  json defaults = {{"enabled", true}, {"permission_policy", {{"type", default_policy}}}};
  out["default_config"] =
      resolve_tool_config(member(tool, "default_config"), path + ".default_config", defaults);
  json configs = json::array();
  const json& in = member_or_null(tool, "configs");
  if (!in.is_null() && !in.is_array()) invalid(path + ".configs", "must be an array");
  std::set<std::string> seen;
  for (std::size_t i = 0; !in.is_null() && i < in.size(); ++i) {
    auto cpath = index_path(path + ".configs", i);
    configs.push_back(resolve_config_entry(require_object(in[i], cpath), cpath,
                                           out["default_config"], builtin, seen));
  }
  out["configs"] = std::move(configs);
  return out;
}

}  // namespace

json parse_toolset(const json& tool, const std::string& path, bool builtin) {
  return resolve_toolset(tool, path, builtin ? "always_allow" : "always_ask", builtin);
}

}  // namespace cove::domain
