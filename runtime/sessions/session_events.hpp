// EventWriter: how a session's work writes its event log. Events are built here (type, id,
// processed_at) and committed in batches, atomically and durably, before anything streams
// them. Every commit also advances the session's Conversation (history and pending tool
// calls), so what the model sees next is what the log holds. The session's status, usage and
// stats are written in the batch whose events change them.
//
// Threading: one EventWriter per session, used only by the session's own thread.
// Failure: a commit the store refuses (the session was archived or deleted under us) throws
// SessionGone; the work in progress then ends quietly.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/domain/event_types.hpp"
#include "runtime/domain/session.hpp"
#include "runtime/models/provider.hpp"
#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/history.hpp"

namespace cove::sessions {

// The session was archived or deleted under us: the turn ends quietly.
struct SessionGone : std::runtime_error {
  SessionGone() : std::runtime_error("session gone") {}
};

// What the session knows of its conversation: the history the model sees and the tool calls
// waiting for the client.
struct Conversation {
  History history;
  std::vector<PendingTool> pending;
};

class EventWriter {
 public:
  // Events committed together, atomically and durably. A batch starts with the events
  // deferred so far (see defer()), so they keep their place in the log.
  struct Batch {
    store::WriteBatch writes;
    std::string session_id;
    // Adds an event made by make_event(); returns its id.
    std::string add(json event);
  };

  EventWriter(EventLog& log, std::string session_id, Conversation& conversation);

  // Takes the usage and stats the stored session has so far, and its creation time.
  void load(const domain::Session& session, int64_t created_ms);
  // The session's status as stored; set_status() keeps it current.
  void read_status(const domain::Session& session) { status_ = session.status; }

  // A server event (domain::server_event): `fields` with type, id (a new one unless given)
  // and processed_at now.
  static json make_event(const std::string& type, json fields = json::object(),
                         std::string id = {});
  // A session.error event of `type` (see session_error_type); `retry` is its retry_status
  // (domain::session_error::kRetrying or kExhausted).
  static json error_event(const std::string& type, const std::string& message,
                          const std::string& retry, json extra = json::object());

  Batch batch();
  // Queues an event for the next commit instead of paying a commit (an fsync) for it alone:
  // used for events that are followed at once by another commit (a set-up step's end, the
  // last tool result before the next model request). Never before waiting.
  void defer(json event);
  // Commits durably (throws SessionGone when the session was archived or deleted) and
  // feeds the appended events to the conversation.
  std::vector<store::Event> commit(Batch& b);
  // Commits the deferred events on their own.
  void commit_deferred();

  const std::string& status() const { return status_; }
  void set_status(Batch& b, const std::string& status);
  // Ends the turn: idle with a stop reason, stats and usage saved.
  void go_idle(Batch& b, json stop_reason);
  void go_idle(json stop_reason);
  // Active time is counted from here until the turn goes idle.
  void start_turn() { turn_started_ = Clock::now(); }

  // Adds a model reply's usage to the session's and writes it with the batch.
  void add_usage(Batch& b, const models::Usage& usage);
  // The session's stats object (set-up adds its step timings).
  json& stats() { return stats_; }

  // A stream-only frame (event_start / event_delta) about an event of `event_type`.
  void preview(const std::string& event_type, const std::string& frame);

  Conversation& conversation() { return conversation_; }
  EventLog& log() { return log_; }
  const std::string& session_id() const { return session_id_; }

 private:
  using Clock = std::chrono::steady_clock;
  void save_stats(Batch& b);

  EventLog& log_;
  std::string session_id_;
  Conversation& conversation_;
  std::vector<json> deferred_;
  std::string status_ = domain::session_status::kIdle;
  int64_t created_ms_ = 0;
  json usage_ = json::object();
  json stats_ = json::object();
  int64_t active_ms_ = 0;
  std::optional<Clock::time_point> turn_started_;
};

}  // namespace cove::sessions
