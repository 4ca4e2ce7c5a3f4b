// SessionRunner: what happens to a session after events are sent to it. Until the agent loop
// exists, a turn only marks the queued user events processed and walks the session through
// running → idle(end_turn), emitting the status events clients expect. One turn at a time per
// session; events arriving during a turn are taken by the next one.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/sessions/event_log.hpp"

namespace cove::sessions {

class SessionRunner {
 public:
  explicit SessionRunner(EventLog& log) : log_(log) {}

  // The events (ids) were just appended durably: queue them for the session's next turn.
  void wake(const std::string& session_id, std::vector<std::string> event_ids);

  // Run once at startup, before serving: sessions a previous process left running (it died
  // mid-turn) come back idle, with a session.error saying why. Returns how many.
  int recover_after_restart();

  // True while a turn is in flight or queued for the session (for tests).
  bool busy(const std::string& session_id);

 private:
  struct State {
    bool busy = false;
    std::vector<std::string> pending;
  };
  void next_turn(const std::string& session_id);
  void finish_turn(const std::string& session_id);

  EventLog& log_;
  std::mutex mu_;
  std::unordered_map<std::string, State> states_;
};

}  // namespace cove::sessions
