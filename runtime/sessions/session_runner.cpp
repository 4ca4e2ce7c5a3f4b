#include "runtime/sessions/session_runner.hpp"

#include "runtime/api/common.hpp"

namespace cove::sessions {

namespace {

using json = nlohmann::json;

// A server-originated event: id, type, processed_at now, plus `extra` fields.
void append(store::WriteBatch& batch, const std::string& session_id, const std::string& type,
            int64_t now, json extra = json::object()) {
  extra["type"] = type;
  extra["id"] = api::new_id("sevt");
  extra["processed_at"] = api::rfc3339(now);
  std::string id = extra["id"];
  batch.append_event(session_id, id, type, now, std::move(extra));
}

}  // namespace

void SessionRunner::wake(const std::string& session_id, std::vector<std::string> event_ids) {
  {
    std::lock_guard lock(mu_);
    auto& st = states_[session_id];
    st.pending.insert(st.pending.end(), event_ids.begin(), event_ids.end());
    if (st.busy) return;
    st.busy = true;
  }
  next_turn(session_id);
}

bool SessionRunner::busy(const std::string& session_id) {
  std::lock_guard lock(mu_);
  return states_.count(session_id) != 0;
}

void SessionRunner::finish_turn(const std::string& session_id) {
  std::lock_guard lock(mu_);
  states_.erase(session_id);
}

void SessionRunner::next_turn(const std::string& session_id) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    auto it = states_.find(session_id);
    if (it == states_.end()) return;
    if (it->second.pending.empty()) {
      states_.erase(it);
      return;
    }
    ids.swap(it->second.pending);
  }
  // Turn start: running, and the queued events are picked up.
  int64_t now = api::now_ms();
  store::WriteBatch start;
  start.expect(session_id, true);
  start.set_field(session_id, "status", "running");
  start.set_field(session_id, "updated_at", api::rfc3339(now));
  append(start, session_id, "session.status_running", now);
  for (const auto& id : ids)
    start.set_event_field(session_id, id, "processed_at", api::rfc3339(now));
  log_.commit(std::move(start), [this, session_id](store::CommitResult r) {
    if (r.status != store::Status::ok) return finish_turn(session_id);  // deleted or archived
    // No agent loop yet: the turn ends at once.
    int64_t end = api::now_ms();
    store::WriteBatch idle;
    idle.expect(session_id, true);
    idle.set_field(session_id, "status", "idle");
    idle.set_field(session_id, "updated_at", api::rfc3339(end));
    append(idle, session_id, "session.status_idle", end,
           {{"stop_reason", {{"type", "end_turn"}}}, {"stop_details", nullptr}});
    log_.commit(std::move(idle), [this, session_id](store::CommitResult r2) {
      if (r2.status != store::Status::ok) return finish_turn(session_id);
      next_turn(session_id);
    });
  });
}

int SessionRunner::recover_after_restart() {
  auto& store = log_.store();
  store::ObjectQuery q;
  q.kind = "session";
  q.include_archived = false;
  q.filters.push_back({"status", {"running", "rescheduling"}});
  q.limit = 500;
  int recovered = 0;
  for (;;) {
    bool more = false;
    auto sessions = store.list(q, &more);
    for (const auto& s : sessions) {
      int64_t now = api::now_ms();
      store::WriteBatch b;
      b.set_field(s.id, "status", "idle");
      b.set_field(s.id, "updated_at", api::rfc3339(now));
      append(b, s.id, "session.error", now,
             {{"error",
               {{"type", "unknown_error"},
                {"message",
                 "cove restarted while this session was running; the turn in progress was "
                 "abandoned"},
                {"retry_status", {{"type", "exhausted"}}}}}});
      append(b, s.id, "session.status_idle", now,
             {{"stop_reason", {{"type", "retries_exhausted"}}}, {"stop_details", nullptr}});
      if (log_.commit(std::move(b)).status == store::Status::ok) ++recovered;
    }
    if (!more || sessions.empty()) break;
    q.after_pos = sessions.back().pos;
  }
  return recovered;
}

}  // namespace cove::sessions
