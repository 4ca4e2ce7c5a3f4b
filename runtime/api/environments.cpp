// /v1/environments: create (unique names), retrieve, update, list, archive, delete.
#include "runtime/api/routes.hpp"

namespace cove::api {

namespace {

const char* const kManagers[] = {"apt", "cargo", "gem", "go", "npm", "pip"};

json string_list(const json& v, const std::string& path) {
  if (v.is_null()) return json::array();
  if (!v.is_array()) bad_request(path + " must be an array");
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!v[i].is_string()) bad_request(index_path(path, i) + " must be a string");
  return v;
}

json resolve_networking(const json* v, const json& current, const std::string& path) {
  if (!v || v->is_null()) return current.is_null() ? json{{"type", "unrestricted"}} : current;
  require_object(*v, path);
  auto type = require_string(*v, "type", path);
  if (type == "unrestricted") return {{"type", "unrestricted"}};
  if (type != "limited") bad_request(path + ".type must be unrestricted or limited");
  json base = current.is_object() && current.value("type", "") == "limited"
                  ? current
                  : json{{"type", "limited"},
                         {"allowed_hosts", json::array()},
                         {"allow_package_managers", false},
                         {"allow_mcp_servers", false}};
  if (const json* h = member(*v, "allowed_hosts"))
    base["allowed_hosts"] = string_list(*h, path + ".allowed_hosts");
  if (auto b = optional_bool(*v, "allow_package_managers", path))
    base["allow_package_managers"] = *b;
  if (auto b = optional_bool(*v, "allow_mcp_servers", path)) base["allow_mcp_servers"] = *b;
  return base;
}

json resolve_packages(const json* v, const json& current, const std::string& path) {
  json out = current.is_object() ? current : json{{"type", "packages"}};
  out["type"] = "packages";
  for (const char* m : kManagers)
    if (!out.contains(m)) out[m] = json::array();
  if (!v || v->is_null()) return out;
  require_object(*v, path);
  if (auto t = optional_string(*v, "type", path); t && *t != "packages")
    bad_request(path + ".type must be packages");
  for (const char* m : kManagers)
    if (const json* list = member(*v, m)) out[m] = string_list(*list, path + "." + m);
  return out;
}

// The resolved config; `current` is the stored one on update (omitted sub-fields kept).
json resolve_config(const json* v, const json& current) {
  if (!v || v->is_null()) {
    if (!current.is_null()) return current;
    return {{"type", "cloud"},
            {"networking", {{"type", "unrestricted"}}},
            {"packages", resolve_packages(nullptr, nullptr, "config.packages")}};
  }
  require_object(*v, "config");
  auto type = require_string(*v, "type", "config");
  if (type != "cloud" && type != "self_hosted")
    bad_request("config.type must be cloud or self_hosted");
  if (!current.is_null() && current["type"] != type)
    bad_request(
        "config.type cannot change from " + current["type"].get<std::string>() + " to " + type,
        "invalid_config_type_change");
  if (type == "self_hosted") return {{"type", "self_hosted"}};
  const json none = nullptr;
  return {{"type", "cloud"},
          {"networking", resolve_networking(member(*v, "networking"),
                                            current.is_null() ? none : current["networking"],
                                            "config.networking")},
          {"packages",
           resolve_packages(member(*v, "packages"), current.is_null() ? none : current["packages"],
                            "config.packages")}};
}

std::optional<std::string> scope_value(const json& req) {
  auto scope = optional_string(req, "scope", "");
  if (scope && *scope != "organization" && *scope != "account")
    bad_request("scope must be organization or account");
  return scope;
}

Reply create(Services& s, Call& c) {
  const json& req = c.body;
  auto name = require_string(req, "name", "", 1, 256);
  int64_t now = now_ms();
  std::string id = new_id("env");
  json env = {{"type", "environment"}, {"id", id}, {"name", name}};
  auto description = optional_string(req, "description", "", 2048);
  env["description"] = description ? json(*description) : json(nullptr);
  env["config"] = resolve_config(member(req, "config"), nullptr);
  const json* md = member(req, "metadata");
  env["metadata"] = metadata_value(md ? *md : json(nullptr), "metadata");
  env["scope"] = scope_value(req).value_or("organization");
  env["created_at"] = env["updated_at"] = rfc3339(now);
  env["archived_at"] = nullptr;
  store::WriteBatch b;
  b.put(store::Object{"environment", id, "", name, false, now, 0, env});
  auto r = s.log.commit(std::move(b));
  if (r.status == store::Status::conflict)
    conflict("an environment named " + name + " already exists", "environment_name_taken");
  check_commit(r, "environment", id);
  return {200, env, nullptr};
}

Reply retrieve(Services& s, Call& c) {
  return {200, load(s, "environment", c.params[0], "environment", "environment_not_found").body,
          nullptr};
}

Reply update(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto env = load(s, "environment", c.params[0], "environment", "environment_not_found");
  if (env.archived) bad_request("environment " + env.id + " is archived", "environment_archived");
  const json& req = c.body;
  json next = env.body;
  if (member(req, "name")) {
    next["name"] = require_string(req, "name", "", 1, 256);
    env.unique_name = next["name"];
  }
  if (member(req, "description")) {
    auto d = optional_string(req, "description", "", 2048);
    next["description"] = d ? json(*d) : json(nullptr);
  }
  if (member(req, "config"))
    next["config"] = resolve_config(member(req, "config"), env.body["config"]);
  if (const json* m = member(req, "metadata"))
    next["metadata"] = patch_metadata(next["metadata"], *m, "metadata", true);
  if (member(req, "scope")) next["scope"] = scope_value(req).value_or("organization");
  if (next == env.body) return {200, env.body, nullptr};
  next["updated_at"] = rfc3339(now_ms());
  env.body = next;
  store::WriteBatch b;
  b.put(env);
  auto r = s.log.commit(std::move(b));
  if (r.status == store::Status::conflict)
    conflict("an environment named " + env.unique_name + " already exists",
             "environment_name_taken");
  check_commit(r, "environment", env.id);
  return {200, next, nullptr};
}

Reply list(Services& s, Call& c) {
  store::ObjectQuery q;
  q.kind = "environment";
  q.include_archived = c.query.boolean("include_archived").value_or(false);
  q.limit = c.query.limit(20, 1000);
  return forward_page(s, c, std::move(q));
}

Reply archive(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto env = load(s, "environment", c.params[0], "environment", "environment_not_found");
  if (env.archived) return {200, env.body, nullptr};
  auto now = rfc3339(now_ms());
  env.body["archived_at"] = now;
  env.body["updated_at"] = now;
  env.archived = true;
  store::WriteBatch b;
  b.put(env);
  check_commit(s.log.commit(std::move(b)), "environment", env.id);
  return {200, env.body, nullptr};
}

Reply remove(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto env = load(s, "environment", c.params[0], "environment", "environment_not_found");
  store::WriteBatch b;
  b.remove(env.id);
  check_commit(s.log.commit(std::move(b)), "environment", env.id);
  return {200, {{"id", env.id}, {"type", "environment_deleted"}}, nullptr};
}

}  // namespace

void add_environment_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/environments", create});
  routes.push_back({"GET", "/v1/environments", list});
  routes.push_back({"GET", "/v1/environments/{}", retrieve});
  routes.push_back({"POST", "/v1/environments/{}", update});
  routes.push_back({"DELETE", "/v1/environments/{}", remove});
  routes.push_back({"POST", "/v1/environments/{}/archive", archive});
}

}  // namespace cove::api
