// How a session's work applies each type of user event: a table from event type to handler.
// Event types without a handler are marked processed and otherwise ignored.
#include <algorithm>

#include "runtime/sessions/session_work.hpp"

namespace cove::sessions {

namespace event_type = domain::event_type;

const std::map<std::string, SessionWork::Handler>& SessionWork::handlers() {
  static const std::map<std::string, Handler> table = {
      {event_type::kUserMessage, &SessionWork::on_message},
      {event_type::kSystemMessage, &SessionWork::on_message},
      {event_type::kUserInterrupt, &SessionWork::on_interrupt},
      {event_type::kUserToolConfirmation, &SessionWork::on_confirmation},
      {event_type::kUserCustomToolResult, &SessionWork::on_custom_tool_result},
      {event_type::kUserDefineOutcome, &SessionWork::on_define_outcome},
      {event_type::kUserToolResult, &SessionWork::on_tool_result},
  };
  return table;
}

SessionWork::UserInput SessionWork::apply(const std::vector<store::Event>& events) {
  UserInput input;
  for (const auto& e : events)
    if (auto it = handlers().find(e.type); it != handlers().end()) (this->*it->second)(e, input);
  return input;
}

// A user event cove cannot act on: a session.error says why ("<event type> <problem>").
void SessionWork::refuse(const store::Event& e, const std::string& problem) {
  auto b = events_.batch();
  b.add(EventWriter::error_event(domain::session_error::kUnknown, e.type + " " + problem,
                                 domain::session_error::kExhausted));
  events_.commit(b);
}

void SessionWork::on_message(const store::Event& e, UserInput&) {
  if (!conversation_.pending.empty())
    cancel_pending(events_, "the user sent a new message instead of answering this tool call");
  conversation_.history.apply(e, conversation_.pending);
}

void SessionWork::on_interrupt(const store::Event&, UserInput& input) {
  input.interrupted = true;
}

// Confirmed or denied calls run (or not) once the batch has been applied.
void SessionWork::on_confirmation(const store::Event& e, UserInput& input) {
  std::string target = e.body.value("tool_use_id", "");
  auto& pending = conversation_.pending;
  auto it = std::find_if(pending.begin(), pending.end(),
                         [&](const PendingTool& p) { return p.event_id == target && !p.custom(); });
  if (it == pending.end())
    return refuse(e, "names " + target + ", which is not a tool call waiting for confirmation");
  input.confirmations.push_back({*it, e});
  pending.erase(it);
}

void SessionWork::on_custom_tool_result(const store::Event& e, UserInput&) {
  std::string target = e.body.value("custom_tool_use_id", "");
  const auto& pending = conversation_.pending;
  bool known = std::any_of(pending.begin(), pending.end(), [&](const PendingTool& p) {
    return p.event_id == target && p.custom();
  });
  if (!known)
    return refuse(e, "names " + target + ", which is not a custom tool call waiting for a result");
  conversation_.history.apply(e, conversation_.pending);
}

void SessionWork::on_define_outcome(const store::Event& e, UserInput&) {
  refuse(e, "is not supported by cove yet");
}

void SessionWork::on_tool_result(const store::Event& e, UserInput&) {
  refuse(e, "is only for self_hosted environments; cove runs the built-in tools itself");
}

}  // namespace cove::sessions
