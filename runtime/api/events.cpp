// /v1/sessions/{id}/events: send, list, and the SSE stream (with Last-Event-ID resume).
#include <charconv>

#include "net/sse_writer.hpp"
#include "runtime/api/session_types.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::api {

namespace {

Reply send(Services& s, Call& c) {
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  if (session.archived || session.body["status"] == domain::session_status::kTerminated)
    conflict("session " + session.id + " is archived and accepts no events", "session_archived");
  const json* events = member(c.body, "events");
  if (!events || events->is_null()) bad_request("events is required");
  if (!events->is_array()) bad_request("events must be an array");
  if (events->empty()) bad_request("events must not be empty");
  if (events->size() > 100) bad_request("events may have at most 100 entries");
  std::vector<json> parsed;
  for (std::size_t i = 0; i < events->size(); ++i) {
    parsed.push_back(event_from_params((*events)[i], index_path("events", i)));
    if (parsed.back()["type"] == domain::event_type::kSystemMessage && i + 1 != events->size())
      bad_request(index_path("events", i) + " system.message must be the last event");
  }
  int64_t now = now_ms();
  store::WriteBatch b;
  b.expect(session.id, true);
  auto ids = append_user_events(b, session.id, parsed, now);
  std::vector<sessions::WokenEvent> woken;
  for (std::size_t i = 0; i < ids.size(); ++i)
    woken.push_back({ids[i], parsed[i]["type"].get<std::string>()});
  auto r = s.log.commit(std::move(b));
  if (r.status == store::Status::conflict)
    conflict("session " + session.id + " is archived and accepts no events", "session_archived");
  check_commit(r, "session", session.id);
  s.runner.wake(session.id, std::move(woken));
  return {200, {{"data", std::move(parsed)}}, nullptr};
}

Reply list(Services& s, Call& c) {
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  store::EventQuery q;
  q.session_id = session.id;
  auto order = c.query.get("order").value_or("asc");
  if (order != "asc" && order != "desc") bad_request("order must be asc or desc");
  q.descending = order == "desc";
  q.limit = c.query.limit(1000, 1000);
  q.types = c.query.all("types");
  auto range = created_range(c.query);
  q.created_min_ms = range.min_ms;
  q.created_max_ms = range.max_ms;
  if (auto page = c.query.get("page")) q.after_seq = read_cursor(*page, q.descending);
  bool more = false;
  auto rows = s.store.events(q, &more);
  json data = json::array();
  for (auto& e : rows)
    data.push_back(std::move(e.body));
  return {
      200,
      page_json(std::move(data),
                more ? std::optional(make_cursor(rows.back().seq, q.descending)) : std::nullopt),
      nullptr};
}

Reply stream(Services& s, Call& c) {
  auto session = load(s, "session", c.params[0], "session", "session_not_found");
  for (const auto& d : c.query.all("event_deltas"))
    if (d != domain::event_type::kAgentMessage && d != domain::event_type::kAgentThinking)
      bad_request("event_deltas values must be agent.message or agent.thinking");
  std::optional<int64_t> resume;
  auto last = c.http.header("last-event-id");
  if (!last.empty()) {
    int64_t seq = 0;
    auto [p, ec] = std::from_chars(last.data(), last.data() + last.size(), seq);
    if (ec != std::errc() || p != last.data() + last.size() || seq < 0)
      bad_request("Last-Event-ID must be an event sequence number from this stream");
    resume = seq;
  }
  auto out = std::make_shared<net::ResponseStream>();
  out->set_heartbeat(std::chrono::milliseconds(s.heartbeat_ms), net::sse_comment("ping"));
  s.log.subscribe(session.id, out, resume, c.query.all("event_deltas"));
  // The session may have been deleted between load and subscribe: then end at once.
  if (!s.store.get(session.id)) out->close();
  return {200, nullptr, out};
}

}  // namespace

void add_event_routes(std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/sessions/{}/events", send});
  routes.push_back({"GET", "/v1/sessions/{}/events", list});
  routes.push_back({"GET", "/v1/sessions/{}/events/stream", stream});
}

}  // namespace cove::api
