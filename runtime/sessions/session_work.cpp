#include "runtime/sessions/session_work.hpp"

#include <algorithm>
#include <set>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/random.hpp"
#include "runtime/sessions/session_error.hpp"
#include "runtime/sessions/stored_objects.hpp"

namespace cove::sessions {

namespace event_type = domain::event_type;
namespace status = domain::session_status;
namespace stop_reason = domain::stop_reason;

SessionWork::SessionWork(EventLog& log, std::string session_id, const RunnerConfig& config,
                         std::unique_ptr<SessionSetup> setup, TakeInterrupts take_interrupts)
    : log_(log),
      id_(std::move(session_id)),
      config_(config),
      setup_(std::move(setup)),
      take_interrupts_(std::move(take_interrupts)),
      events_(log, id_, conversation_) {}

void SessionWork::on_events(const std::vector<WokenEvent>& woken, std::stop_token stop) {
  stop_ = std::move(stop);
  try {
    handle(woken);
  } catch (const SessionGone&) {
    // Archived or deleted: nothing more to say.
  } catch (const std::exception& e) {
    log::write(log::Level::error, "session " + id_ + ": " + e.what());
    try {
      events_.defer(EventWriter::error_event(session_error_type(e), e.what(),
                                             domain::session_error::kExhausted));
      events_.go_idle({{"type", stop_reason::kRetriesExhausted}});
    } catch (const std::exception&) {
    }
  }
}

void SessionWork::handle(const std::vector<WokenEvent>& woken) {
  auto stored = log_.store().get(id_);
  if (!stored || stored->archived) return;
  domain::Session session = read_session(*stored);
  if (!loaded_) load(session, stored->created_ms, woken);
  events_.read_status(session);
  auto events = read(woken);
  if (!start(events)) return;
  UserInput input = apply(events);
  if (input.interrupted || stopped()) {
    for (const auto& c : input.confirmations)
      record_result(events_, c.call, tools::ToolOutput::text(kInterrupted, true));
    return interrupted();
  }
  const History& history = conversation_.history;
  if (!input.confirmations.empty() || history.awaiting_model())
    if (!setup_->ensure_ready(session, *toolbox_, events_)) return;  // reported, idle
  run_confirmations(input.confirmations);
  if (stopped()) return interrupted();
  if (!conversation_.pending.empty()) return finish(TurnEnd::requires_action);
  if (!history.awaiting_model()) return finish(TurnEnd::end_turn);
  AgentTurn turn(events_, *toolbox_, setup_->model(), setup_->tools(),
                 turn_config(config_, session.agent), stop_);
  finish(turn.run());
}

bool SessionWork::prepare() {
  auto stored = log_.store().get(id_);
  if (!stored || stored->archived) return false;
  domain::Session session = read_session(*stored);
  if (!loaded_) load(session, stored->created_ms, {});
  events_.read_status(session);
  return setup_->ensure_ready(session, *toolbox_, events_);
}

// Loads what the session knows so far: history, pending tool calls, usage and stats.
void SessionWork::load(const domain::Session& session, int64_t created_ms,
                       const std::vector<WokenEvent>& skip) {
  loaded_ = true;
  events_.load(session, created_ms);
  toolbox_ = std::make_unique<Toolbox>(session.agent.config.tools);
  store::EventQuery q;
  q.session_id = id_;
  q.limit = 1000;
  std::set<std::string> skipped;
  for (const auto& w : skip)
    skipped.insert(w.id);
  for (;;) {
    bool more = false;
    auto events = log_.store().events(q, &more);
    for (const auto& e : events) {
      if (skipped.count(e.id) || e.body.value("processed_at", json()).is_null()) continue;
      conversation_.history.apply(e, conversation_.pending);
    }
    if (!more || events.empty()) break;
    q.after_seq = events.back().seq;
  }
}

std::vector<store::Event> SessionWork::read(const std::vector<WokenEvent>& woken) {
  std::vector<store::Event> events;
  for (const auto& w : woken)
    if (auto e = log_.store().event(id_, w.id)) events.push_back(std::move(*e));
  return events;
}

// Marks the events processed; the session is running from here on. False when there is
// nothing to do.
bool SessionWork::start(const std::vector<store::Event>& events) {
  bool only_interrupts = std::all_of(events.begin(), events.end(), [](const store::Event& e) {
    return e.type == event_type::kUserInterrupt;
  });
  auto b = events_.batch();
  auto now = rfc3339(now_ms());
  for (const auto& e : events)
    b.writes.set_event_field(id_, e.id, "processed_at", now);
  if (only_interrupts && conversation_.pending.empty() && events_.status() != status::kRunning) {
    events_.commit(b);
    return false;  // nothing was running: an interrupt has nothing to stop
  }
  if (events_.status() != status::kRunning) {
    events_.set_status(b, status::kRunning);
    b.add(EventWriter::make_event(event_type::kSessionStatusRunning));
  }
  events_.commit(b);
  events_.start_turn();
  return true;
}

void SessionWork::run_confirmations(const std::vector<Confirmation>& confirmations) {
  for (const auto& [call, event] : confirmations) {
    if (stopped()) {
      record_result(events_, call, tools::ToolOutput::text(kInterrupted, true));
      continue;
    }
    if (event.body.value("result", "") == "allow") {
      record_result(events_, call, setup_->tools().run(call, stop_));
    } else {
      std::string msg = "the user denied this tool call";
      if (auto m = event.body.value("deny_message", std::string()); !m.empty()) msg += ": " + m;
      record_result(events_, call, tools::ToolOutput::text(msg, true));
    }
  }
}

// Ends the work: the session goes idle with the turn's stop reason.
void SessionWork::finish(TurnEnd end) {
  switch (end) {
    case TurnEnd::end_turn:
      return events_.go_idle({{"type", stop_reason::kEndTurn}});
    case TurnEnd::refusal:
      return events_.go_idle({{"type", stop_reason::kRefusal}});
    case TurnEnd::retries_exhausted:
      return events_.go_idle({{"type", stop_reason::kRetriesExhausted}});
    case TurnEnd::interrupted:
      return interrupted();
    case TurnEnd::requires_action: {
      json ids = json::array();
      for (const auto& p : conversation_.pending)
        ids.push_back(p.event_id);
      return events_.go_idle({{"type", stop_reason::kRequiresAction}, {"event_ids", ids}});
    }
  }
}

void SessionWork::interrupted() {
  cancel_pending(events_, kInterrupted);
  // Interrupts that arrived during this turn are handled by ending it.
  auto ids = take_interrupts_();
  auto b = events_.batch();
  auto now = rfc3339(now_ms());
  for (const auto& id : ids)
    b.writes.set_event_field(id_, id, "processed_at", now);
  events_.go_idle(b, {{"type", stop_reason::kEndTurn}});
}

}  // namespace cove::sessions
