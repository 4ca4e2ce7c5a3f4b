#include "runtime/sessions/event_log.hpp"

#include <algorithm>
#include <future>

#include "base/log.hpp"
#include "net/sse_writer.hpp"

namespace cove::sessions {

namespace {

// `cove serve --log-level debug`: one line per committed event (its position and type, never
// its content); session errors also at warn, so an operator sees a session fail.
void log_events(const std::vector<store::Event>& events) {
  for (const auto& e : events) {
    std::string where = "session " + e.session_id + " event " + std::to_string(e.seq) + " ";
    if (e.type == "session.error" && log::enabled(log::Level::warn)) {
      const auto& err = e.body.value("error", nlohmann::json::object());
      log::write(log::Level::warn,
                 where + e.type + " " + err.value("type", "") + ": " + err.value("message", ""));
    } else if (log::enabled(log::Level::debug)) {
      log::write(log::Level::debug, where + e.type);
    }
  }
}

}  // namespace

std::string event_frame(const store::Event& event) {
  return net::sse_frame(event.type, event.body.dump(), std::to_string(event.seq));
}

// One open stream. While it catches up from the store, live events are held back and
// delivered afterwards; `last_seq` drops anything already sent.
struct EventLog::Subscriber {
  std::shared_ptr<net::ResponseStream> stream;
  std::mutex mu;
  int64_t last_seq = 0;
  bool catching_up = false;
  std::vector<store::Event> held;
  std::vector<std::string> previews;

  // false once the stream is closed (the subscriber can be dropped).
  bool send_locked(const store::Event& e) {
    if (e.seq <= last_seq) return !stream->closed();
    last_seq = e.seq;
    return stream->push(event_frame(e));
  }
  bool deliver(const store::Event& e) {
    std::lock_guard lock(mu);
    if (catching_up) {
      held.push_back(e);
      return !stream->closed();
    }
    return send_locked(e);
  }
};

EventLog::~EventLog() {
  close_all();
}

void EventLog::close_all() {
  std::lock_guard lock(mu_);
  for (auto& [id, subs] : subscribers_)
    for (auto& s : subs)
      s->stream->close();
  subscribers_.clear();
}

void EventLog::commit(store::WriteBatch batch, std::function<void(store::CommitResult)> done) {
  store_.commit(std::move(batch), [this, done = std::move(done)](store::CommitResult r) {
    if (r.status == store::Status::ok && !r.appended.empty()) publish(r.appended);
    if (done) done(std::move(r));
  });
}

store::CommitResult EventLog::commit(store::WriteBatch batch) {
  std::promise<store::CommitResult> promise;
  auto future = promise.get_future();
  commit(std::move(batch), [&promise](store::CommitResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

void EventLog::publish(const std::vector<store::Event>& events) {
  log_events(events);
  std::lock_guard lock(mu_);
  for (const auto& e : events) {
    auto it = subscribers_.find(e.session_id);
    if (it == subscribers_.end()) continue;
    auto& subs = it->second;
    for (std::size_t i = 0; i < subs.size();) {
      if (subs[i]->deliver(e)) {
        ++i;
      } else {
        subs[i] = std::move(subs.back());
        subs.pop_back();
      }
    }
    if (subs.empty()) subscribers_.erase(it);
  }
}

void EventLog::subscribe(const std::string& session_id, std::shared_ptr<net::ResponseStream> stream,
                         std::optional<int64_t> resume_after, std::vector<std::string> previews) {
  auto sub = std::make_shared<Subscriber>();
  sub->previews = std::move(previews);
  sub->stream = std::move(stream);
  sub->catching_up = resume_after.has_value();
  sub->last_seq = resume_after.value_or(0);
  {
    std::lock_guard lock(mu_);
    auto& subs = subscribers_[session_id];
    // Opportunistic cleanup of streams whose clients went away while the session was quiet.
    std::erase_if(subs, [](const auto& s) { return s->stream->closed(); });
    subs.push_back(sub);
  }
  if (!resume_after) return;
  // Registered first, read second: an event committed after the read is published to us
  // (held), one committed before is in the read; last_seq drops the overlap.
  store::EventQuery q;
  q.session_id = session_id;
  q.after_seq = *resume_after;
  q.limit = 1000;
  for (;;) {
    bool more = false;
    auto events = store_.events(q, &more);
    std::lock_guard lock(sub->mu);
    for (const auto& e : events)
      sub->send_locked(e);
    if (!more || events.empty()) {
      for (const auto& e : sub->held)
        sub->send_locked(e);
      sub->held.clear();
      sub->catching_up = false;
      break;
    }
    q.after_seq = events.back().seq;
  }
}

void EventLog::preview(const std::string& session_id, const std::string& event_type,
                       const std::string& frame) {
  std::vector<std::shared_ptr<Subscriber>> wanted;
  {
    std::lock_guard lock(mu_);
    auto it = subscribers_.find(session_id);
    if (it == subscribers_.end()) return;
    for (const auto& s : it->second)
      if (std::find(s->previews.begin(), s->previews.end(), event_type) != s->previews.end())
        wanted.push_back(s);
  }
  for (auto& s : wanted) {
    std::lock_guard lock(s->mu);
    // A subscriber still catching up would see the preview before the events it follows.
    if (!s->catching_up) s->stream->push(frame);
  }
}

void EventLog::close_session(const std::string& session_id, const std::string& frame) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mu_);
    auto it = subscribers_.find(session_id);
    if (it == subscribers_.end()) return;
    subs = std::move(it->second);
    subscribers_.erase(it);
  }
  for (auto& s : subs) {
    std::lock_guard lock(s->mu);
    s->stream->push(frame);
    s->stream->close();
  }
}

std::size_t EventLog::subscriber_count(const std::string& session_id) {
  std::lock_guard lock(mu_);
  auto it = subscribers_.find(session_id);
  return it == subscribers_.end() ? 0 : it->second.size();
}

}  // namespace cove::sessions
