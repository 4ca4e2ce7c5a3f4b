#include "runtime/sessions/session_events.hpp"

#include "base/clock.hpp"
#include "base/random.hpp"
#include "runtime/domain/event.hpp"

namespace cove::sessions {

std::string EventWriter::Batch::add(json event) {
  std::string id = event["id"];
  std::string type = event["type"];
  writes.append_event(session_id, id, type, now_ms(), std::move(event));
  return id;
}

EventWriter::EventWriter(EventLog& log, std::string session_id, Conversation& conversation)
    : log_(log), session_id_(std::move(session_id)), conversation_(conversation) {}

void EventWriter::load(const domain::Session& session, int64_t created_ms) {
  created_ms_ = created_ms;
  usage_ = session.usage;
  stats_ = session.stats;
  active_ms_ = static_cast<int64_t>(stats_.value("active_seconds", 0.0) * 1000);
}

json EventWriter::make_event(const std::string& type, json fields, std::string id) {
  if (id.empty()) id = new_id("sevt");
  return domain::server_event(type, std::move(id), rfc3339(now_ms()), std::move(fields));
}

json EventWriter::error_event(const std::string& type, const std::string& message,
                              const std::string& retry, json extra) {
  return make_event(domain::event_type::kSessionError,
                    domain::session_error_fields(type, message, retry, std::move(extra)));
}

EventWriter::Batch EventWriter::batch() {
  Batch b{store::WriteBatch(), session_id_};
  b.writes.expect(session_id_, true);
  for (auto& e : deferred_)
    b.add(std::move(e));
  deferred_.clear();
  return b;
}

void EventWriter::defer(json event) {
  deferred_.push_back(std::move(event));
}

std::vector<store::Event> EventWriter::commit(Batch& b) {
  auto r = log_.commit(std::move(b.writes));
  if (r.status != store::Status::ok) throw SessionGone();
  for (const auto& e : r.appended)
    conversation_.history.apply(e, conversation_.pending);
  return std::move(r.appended);
}

void EventWriter::commit_deferred() {
  Batch b = batch();
  commit(b);
}

void EventWriter::set_status(Batch& b, const std::string& status) {
  b.writes.set_field(session_id_, "status", status);
  b.writes.set_field(session_id_, "updated_at", rfc3339(now_ms()));
  status_ = status;
}

void EventWriter::go_idle(Batch& b, json stop_reason) {
  set_status(b, domain::session_status::kIdle);
  save_stats(b);
  b.add(make_event(domain::event_type::kSessionStatusIdle,
                   domain::idle_fields(std::move(stop_reason))));
  commit(b);
}

void EventWriter::go_idle(json stop_reason) {
  Batch b = batch();
  go_idle(b, std::move(stop_reason));
}

void EventWriter::save_stats(Batch& b) {
  if (turn_started_) {
    active_ms_ +=
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *turn_started_)
            .count();
    turn_started_ = Clock::now();
  }
  json stats = stats_;
  stats["active_seconds"] = active_ms_ / 1000.0;
  stats["duration_seconds"] = (now_ms() - created_ms_) / 1000.0;
  b.writes.set_field(session_id_, "stats", stats);
  b.writes.set_field(session_id_, "usage", usage_);
}

void EventWriter::add_usage(Batch& b, const models::Usage& u) {
  auto bump = [&](const char* key, int64_t v) { usage_[key] = usage_.value(key, int64_t{0}) + v; };
  bump("input_tokens", u.input_tokens);
  bump("output_tokens", u.output_tokens);
  bump("cache_read_input_tokens", u.cache_read_input_tokens);
  json cc = usage_.value("cache_creation", json::object());
  cc["ephemeral_5m_input_tokens"] =
      cc.value("ephemeral_5m_input_tokens", int64_t{0}) + u.cache_creation_input_tokens;
  if (!cc.contains("ephemeral_1h_input_tokens")) cc["ephemeral_1h_input_tokens"] = 0;
  usage_["cache_creation"] = cc;
  b.writes.set_field(session_id_, "usage", usage_);
}

void EventWriter::preview(const std::string& event_type, const std::string& frame) {
  log_.preview(session_id_, event_type, frame);
}

}  // namespace cove::sessions
