// /v1/environments: create (unique names), retrieve, update, list, archive, delete.
#include "runtime/api/routes.hpp"
#include "runtime/domain/environment.hpp"

namespace cove::api {

namespace {

Reply create(Services& s, Call& c) {
  const json& req = c.body;
  domain::Environment env;
  env.name = require_string(req, "name", "", 1, 256);
  int64_t now = now_ms();
  std::string id = env.id = new_id("env");
  const std::string& name = env.name;
  env.description = optional_string(req, "description", "", 2048);
  env.config = domain::parse_environment_config(member(req, "config"));
  env.metadata = domain::parse_metadata(domain::member_or_null(req, "metadata"), "metadata");
  env.scope = domain::parse_scope(req).value_or("organization");
  env.created_at = env.updated_at = rfc3339(now);
  store::WriteBatch b;
  b.put(store::Object{"environment", id, "", name, false, now, 0, json(env)});
  auto r = s.log.commit(std::move(b));
  if (r.status == store::Status::conflict)
    conflict("an environment named " + name + " already exists", "environment_name_taken");
  check_commit(r, "environment", id);
  return {200, json(env), nullptr};
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
  auto typed = env.body.get<domain::Environment>();
  if (member(req, "name")) env.unique_name = typed.name = require_string(req, "name", "", 1, 256);
  if (member(req, "description")) typed.description = optional_string(req, "description", "", 2048);
  if (member(req, "config"))
    typed.config = domain::parse_environment_config(member(req, "config"), &typed.config);
  if (const json* m = member(req, "metadata"))
    typed.metadata = domain::patch_metadata(typed.metadata, *m, "metadata", true);
  if (member(req, "scope")) typed.scope = domain::parse_scope(req).value_or("organization");
  json next = typed;
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
