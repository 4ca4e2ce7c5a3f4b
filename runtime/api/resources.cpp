// /v1/sessions/{id}/resources: list, retrieve, add, update (token rotation), delete.
#include "runtime/api/session_types.hpp"

namespace cove::api {

namespace {

store::Object load_resource(Services& s, const std::string& session_id, const std::string& id) {
  auto r = s.store.get(id);
  if (!r || r->kind != "resource" || r->parent != session_id) not_found("resource", id);
  return std::move(*r);
}

Reply list(Services& s, Call& c) {
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  store::ObjectQuery q;
  q.kind = "resource";
  q.parent = session.id;
  q.limit = c.query.limit(100, 1000);
  return forward_page(s, c, std::move(q));
}

Reply retrieve(Services& s, Call& c) {
  load(s, "session", c.params[0], "session", "session_not_found");
  return {200, load_resource(s, c.params[0], c.params[1]).body, nullptr};
}

Reply add(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  if (session.archived) bad_request("session " + session.id + " is archived", "session_archived");
  int64_t now = now_ms();
  std::string rid = new_id("sesrsc");
  std::optional<std::string> token;
  json r = resource_from_params(c.body, "", rid, now, &token);
  store::ObjectQuery q;
  q.kind = "resource";
  q.parent = session.id;
  q.limit = 1000;
  for (const auto& other : s.store.list(q, nullptr))
    if (other.body.value("mount_path", "") == r["mount_path"])
      bad_request("mount_path is used by another resource");
  store::WriteBatch b;
  b.expect(session.id, true);
  b.put(store::Object{"resource", rid, session.id, "", false, now, 0, r});
  if (token) b.put_secret(rid, *token);
  check_commit(s.log.commit(std::move(b)), "session", session.id);
  return {200, r, nullptr};
}

Reply update(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  if (session.archived) bad_request("session " + session.id + " is archived", "session_archived");
  auto r = load_resource(s, session.id, c.params[1]);
  if (r.body["type"] != "github_repository")
    bad_request("only github_repository resources have a token to rotate");
  auto token = require_string(c.body, "authorization_token", "", 1, 8192);
  auto now = rfc3339(now_ms());
  store::WriteBatch b;
  b.expect(session.id, true);
  b.put_secret(r.id, token);
  b.set_field(r.id, "updated_at", now);
  check_commit(s.log.commit(std::move(b)), "resource", r.id);
  r.body["updated_at"] = now;
  return {200, r.body, nullptr};
}

Reply remove(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  auto r = load_resource(s, session.id, c.params[1]);
  store::WriteBatch b;
  b.remove(r.id);
  check_commit(s.log.commit(std::move(b)), "resource", r.id);
  return {200, {{"id", r.id}, {"type", "session_resource_deleted"}}, nullptr};
}

}  // namespace

void add_resource_routes(std::vector<Route>& routes) {
  routes.push_back({"GET", "/v1/sessions/{}/resources", list});
  routes.push_back({"POST", "/v1/sessions/{}/resources", add});
  routes.push_back({"GET", "/v1/sessions/{}/resources/{}", retrieve});
  routes.push_back({"POST", "/v1/sessions/{}/resources/{}", update});
  routes.push_back({"DELETE", "/v1/sessions/{}/resources/{}", remove});
}

}  // namespace cove::api
