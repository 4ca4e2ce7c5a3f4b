#include "runtime/api/session_types.hpp"

#include "runtime/domain/event_types.hpp"
#include "runtime/domain/resource.hpp"
#include "runtime/domain/user_event.hpp"

namespace cove::api {

json resource_from_params(const json& params, const std::string& path, const std::string& id,
                          int64_t now, std::optional<std::string>* token) {
  auto request = domain::parse_resource_request(params, path);
  request.resource.id = id;
  request.resource.created_at = request.resource.updated_at = rfc3339(now);
  *token = std::move(request.authorization_token);
  return request.resource;
}

json session_view(Services& s, const store::Object& session) {
  json view = session.body;
  store::ObjectQuery q;
  q.kind = "resource";
  q.parent = session.id;
  q.limit = 1000;
  json resources = json::array();
  for (auto& r : s.store.list(q, nullptr))
    resources.push_back(std::move(r.body));
  view["resources"] = std::move(resources);
  // cove's own: where the session's sandbox is (torn down when idle, back on the next event).
  view["cove"] = {{"sandbox", s.runner.sandbox_state(session.id)}};
  return view;
}

json event_from_params(const json& params, const std::string& path) {
  json e = domain::parse_user_event(params, path);
  if (e["type"] == domain::event_type::kUserDefineOutcome) e["outcome_id"] = new_id("outc");
  e["id"] = new_id("sevt");
  e["processed_at"] = nullptr;
  return e;
}

std::vector<std::string> append_user_events(store::WriteBatch& batch, const std::string& session_id,
                                            const std::vector<json>& events, int64_t now) {
  std::vector<std::string> ids;
  for (const auto& e : events) {
    std::string id = e["id"];
    batch.append_event(session_id, id, e["type"], now, e);
    ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace cove::api
