// EventLog: the store's commit path plus live fan-out of session events to SSE subscribers.
// Every write that appends events goes through commit(); events reach subscribers only after
// the batch is durable, in sequence order (publishing happens on the store's writer thread,
// in commit order). A subscriber may resume after a sequence number: it gets the stored
// events after it, then the live ones, with nothing lost or repeated.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http_server.hpp"
#include "runtime/store/store.hpp"

namespace cove::sessions {

// The SSE frame for a stored event: `id: <seq>`, `event: <type>`, `data: <json>`.
std::string event_frame(const store::Event& event);

class EventLog {
 public:
  explicit EventLog(store::Store& store) : store_(store) {}
  ~EventLog();  // closes every open stream

  store::Store& store() { return store_; }

  // Commits, publishes the appended events, then calls done (on the writer thread).
  void commit(store::WriteBatch batch, std::function<void(store::CommitResult)> done);
  store::CommitResult commit(store::WriteBatch batch);

  // Attaches a stream to a session. With resume_after, first replays the stored events
  // whose sequence number is greater. `previews`: the event types ("agent.message",
  // "agent.thinking") whose live event_start/event_delta frames this stream wants.
  void subscribe(const std::string& session_id, std::shared_ptr<net::ResponseStream> stream,
                 std::optional<int64_t> resume_after, std::vector<std::string> previews = {});
  // Sends a stream-only frame (event_start / event_delta, never stored) about an event of
  // type `event_type` to the session's subscribers that asked for its previews.
  void preview(const std::string& session_id, const std::string& event_type,
               const std::string& frame);
  // Sends `frame` to every subscriber of the session, then ends their streams.
  void close_session(const std::string& session_id, const std::string& frame);
  std::size_t subscriber_count(const std::string& session_id);
  // Ends every open stream (shutdown).
  void close_all();

 private:
  struct Subscriber;
  void publish(const std::vector<store::Event>& events);

  store::Store& store_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> subscribers_;
};

}  // namespace cove::sessions
