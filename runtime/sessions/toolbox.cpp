#include "runtime/sessions/toolbox.hpp"

#include <set>

namespace cove::sessions {

namespace {

json object_schema(json properties, std::vector<std::string> required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
}

std::string policy_of(const json& config, const std::string& fallback) {
  if (config.is_object()) {
    auto it = config.find("permission_policy");
    if (it != config.end() && it->is_object() && it->contains("type"))
      return (*it)["type"].get<std::string>();
  }
  return fallback;
}

bool enabled_of(const json& config, bool fallback) {
  if (config.is_object()) {
    auto it = config.find("enabled");
    if (it != config.end() && it->is_boolean()) return it->get<bool>();
  }
  return fallback;
}

// Tools that only look: the `auto` policy lets these run and asks about the rest.
bool read_only_builtin(const std::string& name) {
  static const std::set<std::string> names = {"read", "glob", "grep", "web_search"};
  return names.count(name) != 0;
}

}  // namespace

const std::vector<std::string>& builtin_tool_names() {
  static const std::vector<std::string> names = {"bash", "read", "write",     "edit",
                                                 "glob", "grep", "web_fetch", "web_search"};
  return names;
}

json builtin_tool_definition(const std::string& name) {
  json d = {{"name", name}};
  if (name == "bash") {
    d["description"] =
        "Run a command in a persistent bash shell inside the session's sandbox. The working "
        "directory and environment persist between calls. Output over 100 KiB is truncated. "
        "Use restart to get a fresh shell.";
    d["input_schema"] = object_schema(
        {{"command", {{"type", "string"}, {"description", "The command to run"}}},
         {"restart", {{"type", "boolean"}, {"description", "Restart the shell"}}},
         {"timeout_ms",
          {{"type", "integer"},
           {"description", "Timeout in milliseconds (default 120000, at most 600000)"}}}},
        {});
  } else if (name == "read") {
    d["description"] =
        "Read a text file, with line numbers. view_range [start, end] reads lines start to end "
        "(1-based, inclusive; end <= 0 reads to the end).";
    d["input_schema"] =
        object_schema({{"file_path", {{"type", "string"}}},
                       {"view_range", {{"type", "array"}, {"items", {{"type", "integer"}}}}}},
                      {"file_path"});
  } else if (name == "write") {
    d["description"] = "Write a whole file, creating parent directories.";
    d["input_schema"] =
        object_schema({{"file_path", {{"type", "string"}}}, {"content", {{"type", "string"}}}},
                      {"file_path", "content"});
  } else if (name == "edit") {
    d["description"] =
        "Replace old_string with new_string in a file. old_string must occur exactly once "
        "unless replace_all is true.";
    d["input_schema"] = object_schema({{"file_path", {{"type", "string"}}},
                                       {"old_string", {{"type", "string"}}},
                                       {"new_string", {{"type", "string"}}},
                                       {"replace_all", {{"type", "boolean"}}}},
                                      {"file_path", "old_string", "new_string"});
  } else if (name == "glob") {
    d["description"] = "Find files by glob pattern (** matches directories), newest first.";
    d["input_schema"] = object_schema(
        {{"pattern", {{"type", "string"}}}, {"path", {{"type", "string"}}}}, {"pattern"});
  } else if (name == "grep") {
    d["description"] = "Search file contents with an extended regular expression.";
    d["input_schema"] = object_schema(
        {{"pattern", {{"type", "string"}}}, {"path", {{"type", "string"}}}}, {"pattern"});
  } else if (name == "web_fetch") {
    d["description"] = "Fetch a URL (subject to the environment's network policy).";
    d["input_schema"] = object_schema({{"url", {{"type", "string"}}}}, {"url"});
  } else if (name == "web_search") {
    d["description"] = "Search the web.";
    d["input_schema"] = object_schema({{"query", {{"type", "string"}}}}, {"query"});
  }
  return d;
}

std::string Toolbox::mcp_model_name(const std::string& server, const std::string& tool) {
  auto clean = [](const std::string& s) {
    std::string out;
    for (char c : s)
      out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    return out;
  };
  std::string name = "mcp__" + clean(server) + "__" + clean(tool);
  if (name.size() > 128) name.resize(128);
  return name;
}

Toolbox::Toolbox(const json& agent_tools) {
  if (!agent_tools.is_array()) return;
  for (const auto& t : agent_tools) {
    std::string type = t.value("type", "");
    if (type == "agent_toolset_20260401") {
      const json defaults = t.value("default_config", json::object());
      bool def_enabled = enabled_of(defaults, true);
      std::string def_policy = policy_of(defaults, "always_allow");
      std::map<std::string, json> configs;
      for (const auto& c : t.value("configs", json::array()))
        configs[c.value("name", "")] = c;
      for (const auto& name : builtin_tool_names()) {
        json c = configs.count(name) ? configs[name] : json::object();
        if (!enabled_of(c, def_enabled)) continue;
        ToolEntry e;
        e.kind = ToolKind::builtin;
        e.model_name = e.name = name;
        e.definition = builtin_tool_definition(name);
        e.policy_type = policy_of(c, def_policy);
        add(std::move(e));
      }
    } else if (type == "mcp_toolset") {
      std::string server = t.value("mcp_server_name", "");
      ToolsetConfig cfg;
      const json defaults = t.value("default_config", json::object());
      cfg.default_enabled = enabled_of(defaults, true);
      cfg.default_policy = policy_of(defaults, "always_ask");
      for (const auto& c : t.value("configs", json::array()))
        cfg.configs[c.value("name", "")] = c;
      if (!mcp_toolsets_.count(server)) mcp_order_.push_back(server);
      mcp_toolsets_[server] = std::move(cfg);
    } else if (type == "custom") {
      ToolEntry e;
      e.kind = ToolKind::custom;
      e.model_name = e.name = t.value("name", "");
      e.definition = {{"name", e.name},
                      {"description", t.value("description", "")},
                      {"input_schema", t.value("input_schema", json::object())}};
      e.policy_type = "always_allow";
      add(std::move(e));
    }
  }
}

void Toolbox::add(ToolEntry entry) {
  if (by_model_name_.count(entry.model_name)) return;  // first declaration wins
  by_model_name_[entry.model_name] = entries_.size();
  entries_.push_back(std::move(entry));
}

std::vector<std::string> Toolbox::mcp_servers() const {
  return mcp_order_;
}

void Toolbox::add_mcp_tools(const std::string& server, const std::vector<json>& tools) {
  auto it = mcp_toolsets_.find(server);
  if (it == mcp_toolsets_.end()) return;
  const auto& cfg = it->second;
  for (const auto& tool : tools) {
    std::string name = tool.value("name", "");
    json c = cfg.configs.count(name) ? cfg.configs.at(name) : json::object();
    if (!enabled_of(c, cfg.default_enabled)) continue;
    ToolEntry e;
    e.kind = ToolKind::mcp;
    e.name = name;
    e.server = server;
    e.model_name = mcp_model_name(server, name);
    std::string description = tool.value("description", "");
    e.definition = {{"name", e.model_name},
                    {"description", "[" + server + "] " + description},
                    {"input_schema", tool.value("input_schema", json::object())}};
    if (!e.definition["input_schema"].is_object() || e.definition["input_schema"].empty())
      e.definition["input_schema"] = {{"type", "object"}, {"properties", json::object()}};
    e.policy_type = policy_of(c, cfg.default_policy);
    add(std::move(e));
  }
}

const ToolEntry* Toolbox::find(const std::string& model_name) const {
  auto it = by_model_name_.find(model_name);
  return it == by_model_name_.end() ? nullptr : &entries_[it->second];
}

bool Toolbox::builtin_enabled(const std::string& name) const {
  auto* e = find(name);
  return e && e->kind == ToolKind::builtin;
}

Decision Toolbox::decide(const std::string& model_name, const json&) const {
  Decision d;
  const ToolEntry* e = find(model_name);
  if (!e) {
    d.policy = Policy::deny;
    d.evaluation = nullptr;
    d.reason = "tool " + model_name + " is not available in this session";
    return d;
  }
  if (e->kind == ToolKind::custom) {
    d.policy = Policy::ask;  // answered by the client, not confirmed
    return d;
  }
  if (e->policy_type == "always_ask") {
    d.policy = Policy::ask;
    d.evaluation = {{"type", "always_ask"}};
  } else if (e->policy_type == "auto") {
    bool looks_only = e->kind == ToolKind::builtin && read_only_builtin(e->name);
    d.policy = looks_only ? Policy::allow : Policy::ask;
    d.evaluation = {{"type", "auto"},
                    {"evaluated_permission",
                     looks_only ? json{{"type", "allow"}}
                                : json{{"type", "ask"}, {"reason_code", "indeterminate"}}}};
  } else {
    d.policy = Policy::allow;
    d.evaluation = {{"type", "always_allow"}};
  }
  return d;
}

json Toolbox::definitions() const {
  json out = json::array();
  for (const auto& e : entries_)
    out.push_back(e.definition);
  return out;
}

}  // namespace cove::sessions
