// /v1/agents: create, retrieve (any version), update (new version), list, archive, versions.
#include "runtime/api/routes.hpp"
#include "runtime/domain/agent.hpp"

namespace cove::api {

namespace {

std::string version_key(const std::string& agent_id, int64_t version) {
  return agent_id + "@v" + std::to_string(version);
}

store::Object version_object(const json& agent, int64_t now) {
  std::string id = agent["id"];
  return store::Object{"agent_version",
                       version_key(id, agent["version"].get<int64_t>()),
                       id,
                       "",
                       false,
                       now,
                       0,
                       agent};
}

Reply create(Services& s, Call& c) {
  int64_t now = now_ms();
  std::string id = new_id("agent");
  json agent = domain::agent_from_create(c.body, id, rfc3339(now));
  store::WriteBatch b;
  b.put(store::Object{"agent", id, "", "", false, now, 0, agent});
  b.put(version_object(agent, now));
  check_commit(s.log.commit(std::move(b)), "agent", id);
  return {200, agent, nullptr};
}

Reply retrieve(Services& s, Call& c) {
  auto agent = load(s, "agent", c.params[0], "agent");
  auto version = c.query.integer("version");
  if (!version || *version == agent.body["version"].get<int64_t>())
    return {200, agent.body, nullptr};
  if (*version < 1) bad_request("version must be at least 1");
  auto v = s.store.get(version_key(agent.id, *version));
  if (!v) not_found("agent version", std::to_string(*version) + " of " + agent.id);
  json body = v->body;
  body["archived_at"] = agent.body["archived_at"];
  return {200, body, nullptr};
}

Reply update(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto agent = load(s, "agent", c.params[0], "agent");
  if (!agent.body["archived_at"].is_null())
    bad_request("agent " + agent.id + " is archived", "agent_archived");
  if (const json* v = member(c.body, "version"); v && !v->is_null()) {
    if (!v->is_number_integer()) bad_request("version must be an integer");
    if (v->get<int64_t>() != agent.body["version"].get<int64_t>())
      conflict("agent " + agent.id + " is at version " + agent.body["version"].dump() + ", not " +
                   v->dump(),
               "agent_version_mismatch");
  }
  int64_t now = now_ms();
  bool changed = false;
  json next =
      domain::agent_after_update(agent.body.get<domain::Agent>(), c.body, rfc3339(now), &changed);
  if (!changed) return {200, agent.body, nullptr};
  store::WriteBatch b;
  agent.body = next;
  b.put(agent);
  b.put(version_object(next, now));
  check_commit(s.log.commit(std::move(b)), "agent", agent.id);
  return {200, next, nullptr};
}

Reply list(Services& s, Call& c) {
  store::ObjectQuery q;
  q.kind = "agent";
  q.include_archived = c.query.boolean("include_archived").value_or(false);
  q.limit = c.query.limit(20, 1000);
  auto range = created_range(c.query);
  q.created_min_ms = range.min_ms;
  q.created_max_ms = range.max_ms;
  return forward_page(s, c, std::move(q));
}

Reply versions(Services& s, Call& c) {
  auto agent = load(s, "agent", c.params[0], "agent");
  store::ObjectQuery q;
  q.kind = "agent_version";
  q.parent = agent.id;
  q.limit = c.query.limit(20, 1000);
  if (auto page = c.query.get("page")) q.after_pos = read_cursor(*page, false);
  bool more = false;
  auto rows = s.store.list(q, &more);
  json data = json::array();
  for (auto& r : rows) {
    r.body["archived_at"] = agent.body["archived_at"];
    data.push_back(std::move(r.body));
  }
  return {200,
          page_json(std::move(data),
                    more ? std::optional(make_cursor(rows.back().pos, false)) : std::nullopt),
          nullptr};
}

Reply archive(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto agent = load(s, "agent", c.params[0], "agent");
  if (!agent.body["archived_at"].is_null()) return {200, agent.body, nullptr};
  auto now = rfc3339(now_ms());
  agent.body["archived_at"] = now;
  agent.body["updated_at"] = now;
  agent.archived = true;
  store::WriteBatch b;
  b.put(agent);
  check_commit(s.log.commit(std::move(b)), "agent", agent.id);
  return {200, agent.body, nullptr};
}

}  // namespace

void add_agent_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/agents", create});
  routes.push_back({"GET", "/v1/agents", list});
  routes.push_back({"GET", "/v1/agents/{}", retrieve});
  routes.push_back({"POST", "/v1/agents/{}", update});
  routes.push_back({"POST", "/v1/agents/{}/archive", archive});
  routes.push_back({"GET", "/v1/agents/{}/versions", versions});
}

}  // namespace cove::api
