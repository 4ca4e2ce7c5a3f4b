// /v1/sessions: create (agent string, pinned or overridden), retrieve, list, update, archive,
// delete.
#include <algorithm>
#include <set>

#include "net/sse_writer.hpp"
#include "runtime/api/session_types.hpp"
#include "runtime/domain/event.hpp"
#include "runtime/domain/session.hpp"

namespace cove::api {

namespace {

namespace status = domain::session_status;
namespace event_type = domain::event_type;

// agent_with_overrides: the snapshot with the request's model, system, tools, MCP servers
// and skills.
void apply_overrides(domain::AgentSnapshot& snap, const json& value) {
  auto& config = snap.config;
  if (const json* m = member(value, "model")) {
    if (m->is_null()) bad_request("agent.model cannot be null");
    config.model = domain::parse_model(*m, "agent.model");
  }
  if (member(value, "system")) config.system = optional_string(value, "system", "agent", 100000);
  if (const json* t = member(value, "tools")) config.tools = domain::parse_tools(*t, "agent.tools");
  if (const json* m = member(value, "mcp_servers"))
    config.mcp_servers = domain::parse_mcp_servers(*m, "agent.mcp_servers");
  if (const json* k = member(value, "skills"))
    config.skills = domain::parse_skills(*k, "agent.skills");
  domain::check_mcp_references(config);
}

// The agent snapshot for a new session from the `agent` field.
domain::AgentSnapshot session_agent(Services& s, const json* value) {
  if (!value || value->is_null()) bad_request("agent is required");
  std::string id;
  std::optional<int64_t> version;
  bool overrides = false;
  if (value->is_string()) {
    id = value->get<std::string>();
  } else if (value->is_object()) {
    auto type = require_string(*value, "type", "agent");
    if (type != "agent" && type != "agent_with_overrides")
      bad_request("agent.type must be agent or agent_with_overrides");
    overrides = type == "agent_with_overrides";
    id = require_string(*value, "id", "agent");
    if (const json* v = member(*value, "version"); v && !v->is_null()) {
      if (!v->is_number_integer()) bad_request("agent.version must be an integer");
      version = v->get<int64_t>();
    }
  } else {
    bad_request("agent must be a string or an object");
  }
  auto agent = s.store.get(id);
  if (!agent || agent->kind != "agent") not_found("agent", id, "agent_not_found");
  if (agent->archived) bad_request("agent " + id + " is archived", "agent_archived");
  json body = agent->body;
  if (version && *version != body["version"].get<int64_t>()) {
    auto v = s.store.get(id + "@v" + std::to_string(*version));
    if (!v) not_found("agent version", std::to_string(*version) + " of " + id);
    body = v->body;
  }
  auto snap = body.get<domain::AgentSnapshot>();
  if (overrides) apply_overrides(snap, *value);
  return snap;
}

Reply create(Services& s, Call& c) {
  const json& req = c.body;
  int64_t now = now_ms();
  std::string id = new_id("sesn");
  domain::Session session;
  session.id = id;
  session.agent = session_agent(s, member(req, "agent"));
  session.environment_id = require_string(req, "environment_id", "");
  const auto& env_id = session.environment_id;
  auto env = s.store.get(env_id);
  if (!env || env->kind != "environment") not_found("environment", env_id, "environment_not_found");
  if (env->archived) bad_request("environment " + env_id + " is archived", "environment_archived");
  session.vault_ids = domain::string_list(domain::member_or_null(req, "vault_ids"), "vault_ids");
  for (const auto& vault_id : session.vault_ids) {
    auto v = s.store.get(vault_id);
    if (!v || v->kind != "vault") not_found("vault", vault_id, "vault_not_found");
  }
  session.title = optional_string(req, "title", "", 1000);
  session.metadata = domain::parse_metadata(domain::member_or_null(req, "metadata"), "metadata");
  session.budget = domain::parse_budget(domain::member_or_null(req, "budget"), "budget");
  session.created_at = session.updated_at = rfc3339(now);
  store::WriteBatch b;
  b.put(store::Object{"session", id, "", "", false, now, 0, json(session)});
  json resources = json::array();
  if (const json* rs = member(req, "resources"); rs && !rs->is_null()) {
    if (!rs->is_array()) bad_request("resources must be an array");
    std::set<std::string> mounts;
    for (std::size_t i = 0; i < rs->size(); ++i) {
      std::optional<std::string> token;
      std::string rid = new_id("sesrsc");
      json r = resource_from_params((*rs)[i], index_path("resources", i), rid, now, &token);
      if (!mounts.insert(r["mount_path"].get<std::string>()).second)
        bad_request(index_path("resources", i) + ".mount_path is used by another resource");
      b.put(store::Object{"resource", rid, id, "", false, now, 0, r});
      if (token) b.put_secret(rid, *token);
      resources.push_back(std::move(r));
    }
  }
  std::vector<json> initial;
  if (const json* ev = member(req, "initial_events"); ev && !ev->is_null()) {
    if (!ev->is_array()) bad_request("initial_events must be an array");
    if (ev->size() > 50) bad_request("initial_events may have at most 50 entries");
    for (std::size_t i = 0; i < ev->size(); ++i) {
      auto path = index_path("initial_events", i);
      json e = event_from_params((*ev)[i], path);
      if (e["type"] != event_type::kUserMessage && e["type"] != event_type::kUserDefineOutcome)
        bad_request(path + ".type must be user.message or user.define_outcome");
      initial.push_back(std::move(e));
    }
  }
  auto ids = append_user_events(b, id, initial, now);
  check_commit(s.log.commit(std::move(b)), "session", id);
  std::vector<sessions::WokenEvent> woken;
  for (std::size_t i = 0; i < ids.size(); ++i)
    woken.push_back({ids[i], initial[i]["type"].get<std::string>()});
  s.runner.wake(id, std::move(woken));
  json view = session;
  view["resources"] = std::move(resources);
  view["cove"] = {{"sandbox", s.runner.sandbox_state(id)}};
  return {200, view, nullptr};
}

json view(Services& s, store::Object& o) {
  return session_view(s, o);
}

Reply retrieve(Services& s, Call& c) {
  auto o = load(s, "session", c.params[0], "session", "session_not_found");
  return {200, view(s, o), nullptr};
}

Reply list(Services& s, Call& c) {
  store::ObjectQuery q;
  q.kind = "session";
  auto order = c.query.get("order").value_or("desc");
  if (order != "asc" && order != "desc") bad_request("order must be asc or desc");
  q.descending = order == "desc";
  q.include_archived = c.query.boolean("include_archived").value_or(false);
  q.limit = c.query.limit(20, 1000);
  auto range = created_range(c.query);
  q.created_min_ms = range.min_ms;
  q.created_max_ms = range.max_ms;
  if (auto agent = c.query.get("agent_id")) q.filters.push_back({"agent.id", {*agent}});
  if (auto v = c.query.get("agent_version")) {
    if (!c.query.get("agent_id")) bad_request("agent_version requires agent_id");
    q.filters.push_back({"agent.version", {*v}});
  }
  auto statuses = c.query.all("statuses");
  for (const auto& st : statuses)
    if (st != status::kIdle && st != status::kRunning && st != status::kRescheduling &&
        st != status::kTerminated)
      bad_request("statuses must be idle, running, rescheduling or terminated");
  if (!statuses.empty()) q.filters.push_back({"status", statuses});
  // A `page` cursor is either forward ("page_...") or backward ("prev_" + forward cursor).
  bool backward = false;
  if (auto page = c.query.get("page")) {
    std::string p = *page;
    if (p.rfind("prev_", 0) == 0) {
      backward = true;
      p = p.substr(5);
    }
    q.after_pos = read_cursor(p, q.descending);
  }
  if (backward) q.descending = !q.descending;
  bool more = false;
  auto rows = s.store.list(q, &more);
  if (backward) {
    std::reverse(rows.begin(), rows.end());
    q.descending = !q.descending;
  }
  json data = json::array();
  for (auto& r : rows)
    data.push_back(view(s, r));
  std::optional<std::string> next, prev;
  if (!rows.empty()) {
    if (backward ? true : more) next = make_cursor(rows.back().pos, q.descending);
    if (backward ? more : q.after_pos != 0)
      prev = "prev_" + make_cursor(rows.front().pos, q.descending);
  }
  json out = page_json(std::move(data), next);
  out["prev_page"] = prev ? json(*prev) : json(nullptr);
  return {200, out, nullptr};
}

Reply update(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto o = load(s, "session", c.params[0], "session", "session_not_found");
  if (o.archived) conflict("session " + o.id + " is archived", "session_archived");
  const json& req = c.body;
  if (member(req, "vault_ids")) bad_request("vault_ids cannot be changed after creation");
  json changed = json::object();
  if (member(req, "title")) {
    auto t = optional_string(req, "title", "", 1000);
    changed["title"] = t ? json(*t) : json(nullptr);
  }
  if (const json* m = member(req, "metadata"))
    changed["metadata"] = patch_metadata(o.body["metadata"], *m, "metadata");
  if (const json* a = member(req, "agent"); a && !a->is_null()) {
    require_object(*a, "agent");
    if (o.body["status"] == status::kRunning)
      conflict("session " + o.id + " is running", "session_running");
    auto agent = o.body["agent"].get<domain::AgentSnapshot>();
    if (const json* t = member(*a, "tools"))
      agent.config.tools = domain::parse_tools(*t, "agent.tools");
    if (const json* m = member(*a, "mcp_servers"))
      agent.config.mcp_servers = domain::parse_mcp_servers(*m, "agent.mcp_servers");
    domain::check_mcp_references(agent.config);
    changed["agent"] = agent;
  }
  if (const json* bgt = member(req, "budget")) {
    if (!bgt->is_null()) require_object(*bgt, "budget");
    if (o.body["budget"].is_null() && !bgt->is_null())
      bad_request("budget cannot be added to a session created without one");
    changed["budget"] = *bgt;
  }
  for (auto it = changed.begin(); it != changed.end();)
    it = o.body[it.key()] == it.value() ? changed.erase(it) : std::next(it);
  if (changed.empty()) return {200, view(s, o), nullptr};
  int64_t now = now_ms();
  store::WriteBatch b;
  b.expect(o.id, true);
  for (auto& [k, v] : changed.items()) {
    b.set_field(o.id, k, v);
    o.body[k] = v;
  }
  b.set_field(o.id, "updated_at", rfc3339(now));
  o.body["updated_at"] = rfc3339(now);
  json event =
      domain::server_event(event_type::kSessionUpdated, new_id("sevt"), rfc3339(now), changed);
  b.append_event(o.id, event["id"], event_type::kSessionUpdated, now, event);
  check_commit(s.log.commit(std::move(b)), "session", o.id);
  return {200, view(s, o), nullptr};
}

Reply archive(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto o = load(s, "session", c.params[0], "session", "session_not_found");
  if (o.archived) return {200, view(s, o), nullptr};
  int64_t now = now_ms();
  store::WriteBatch b;
  b.set_archived(o.id);
  for (auto [k, v] : {std::pair<const char*, json>{"archived_at", rfc3339(now)},
                      {"updated_at", rfc3339(now)},
                      {"status", status::kTerminated}}) {
    b.set_field(o.id, k, v);
    o.body[k] = v;
  }
  std::string eid = new_id("sevt");
  b.append_event(o.id, eid, event_type::kSessionStatusTerminated, now,
                 domain::server_event(event_type::kSessionStatusTerminated, eid, rfc3339(now)));
  check_commit(s.log.commit(std::move(b)), "session", o.id);
  s.runner.close(o.id);
  o.archived = true;
  return {200, view(s, o), nullptr};
}

Reply remove(Services& s, Call& c) {
  std::lock_guard lock(s.update_mu);
  auto o = load(s, "session", c.params[0], "session", "session_not_found");
  store::WriteBatch b;
  b.remove(o.id);
  check_commit(s.log.commit(std::move(b)), "session", o.id);
  json deleted =
      domain::server_event(event_type::kSessionDeleted, new_id("sevt"), rfc3339(now_ms()));
  s.log.close_session(o.id, net::sse_frame(event_type::kSessionDeleted, deleted.dump()));
  s.runner.remove(o.id);
  return {200, {{"id", o.id}, {"type", "session_deleted"}}, nullptr};
}

}  // namespace

void add_session_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/sessions", create});
  routes.push_back({"GET", "/v1/sessions", list});
  routes.push_back({"GET", "/v1/sessions/{}", retrieve});
  routes.push_back({"POST", "/v1/sessions/{}", update});
  routes.push_back({"DELETE", "/v1/sessions/{}", remove});
  routes.push_back({"POST", "/v1/sessions/{}/archive", archive});
}

}  // namespace cove::api
