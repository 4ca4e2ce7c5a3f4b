// SessionWorker: a session's own thread and its queue of woken events. The thread takes the
// queued events as one batch and hands them to the session's work (SessionWork), one batch
// at a time; a user.interrupt stops the batch in progress at once. Closing stops the work,
// and the thread tears the environment down (it was built there) before it ends.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_setup.hpp"
#include "runtime/sessions/session_work.hpp"

namespace cove::sessions {

namespace {

class SessionWorker final : public AgentSession,
                            public std::enable_shared_from_this<SessionWorker> {
 public:
  SessionWorker(std::string id, std::shared_ptr<RunnerShared> shared)
      : id_(std::move(id)), shared_(std::move(shared)) {}

  ~SessionWorker() override { close(true); }

  void start() {
    thread_ = std::thread([self = shared_from_this()] { self->main(); });
  }

  void wake(std::vector<WokenEvent> events) override {
    std::lock_guard lock(mu_);
    if (closing_) return;
    for (auto& e : events) {
      if (e.type == domain::event_type::kUserInterrupt) stop_.request_stop();
      queue_.push_back(std::move(e));
    }
    cv_.notify_all();
  }

  void close(bool wait) override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      stop_.request_stop();
      cv_.notify_all();
    }
    if (wait) join();
  }

  void join() override {
    std::lock_guard lock(join_mu_);
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();
      else
        thread_.join();
    }
  }

  bool busy() override {
    std::lock_guard lock(mu_);
    return working_ || !queue_.empty();
  }

 private:
  void main() {
    // Destroyed on this thread when it ends: the sandbox was built here.
    SessionWork work(shared_->log, id_, shared_->config, make_session_setup(*shared_, id_),
                     [this] { return take_interrupts(); });
    while (auto batch = next_batch()) {
      work.on_events(batch->events, batch->stop);
      std::lock_guard lock(mu_);
      working_ = false;
    }
  }

  struct Batch {
    std::vector<WokenEvent> events;
    std::stop_token stop;
  };

  // Waits for queued events and takes them all; nothing once the session closes.
  std::optional<Batch> next_batch() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (closing_) return std::nullopt;
    Batch batch;
    batch.events.assign(std::make_move_iterator(queue_.begin()),
                        std::make_move_iterator(queue_.end()));
    queue_.clear();
    working_ = true;
    // A fresh stop source per batch; an interrupt in this batch is handled as an event.
    stop_ = std::stop_source();
    batch.stop = stop_.get_token();
    return batch;
  }

  std::vector<std::string> take_interrupts() {
    std::vector<std::string> ids;
    std::lock_guard lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->type == domain::event_type::kUserInterrupt) {
        ids.push_back(it->id);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    return ids;
  }

  std::string id_;
  std::shared_ptr<RunnerShared> shared_;
  std::thread thread_;
  std::mutex join_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WokenEvent> queue_;
  bool closing_ = false;
  bool working_ = false;
  std::stop_source stop_;
};

}  // namespace

std::shared_ptr<AgentSession> AgentSession::create(std::string session_id,
                                                   std::shared_ptr<RunnerShared> shared) {
  auto s = std::make_shared<SessionWorker>(std::move(session_id), std::move(shared));
  s->start();
  return s;
}

}  // namespace cove::sessions
