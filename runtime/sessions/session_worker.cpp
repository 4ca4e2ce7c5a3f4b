// SessionWorker: a session's own thread and its queue of woken events. The thread takes the
// queued events as one batch and hands them to the session's work (SessionWork), one batch
// at a time; a user.interrupt stops the batch in progress at once. Closing stops the work,
// and the thread tears the environment down (it was built there) before it ends. Idle for
// RunnerConfig::idle_timeout, the thread drops the work and with it the environment; the
// next batch makes both again (the history is read back from the log, as after a restart).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/session_setup.hpp"
#include "runtime/sessions/session_storage.hpp"
#include "runtime/sessions/session_work.hpp"

namespace cove::sessions {

namespace {

class SessionWorker final : public AgentSession,
                            public std::enable_shared_from_this<SessionWorker> {
 public:
  SessionWorker(std::string id, std::shared_ptr<RunnerShared> shared)
      : id_(std::move(id)), shared_(std::move(shared)) {}

  ~SessionWorker() override { close(true, false); }

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

  void close(bool wait, bool remove_storage) override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      if (remove_storage) remove_storage_ = true;
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

  bool sandbox_up() override { return sandbox_up_; }

 private:
  void main() {
    run_batches();
    bool remove = false;
    {
      std::lock_guard lock(mu_);
      remove = remove_storage_;
    }
    if (remove) remove_session_storage(*shared_, id_);
  }

  // The work, made for the first batch and again after it was dropped for idleness. It is
  // destroyed on this thread: the sandbox was built here.
  void run_batches() {
    std::unique_ptr<SessionWork> work;
    while (auto batch = next_batch(work != nullptr)) {
      if (batch->idle) {
        work.reset();  // tears the sandbox down; the workspace stays
        sandbox_up_ = false;
        continue;
      }
      if (!work)
        work = std::make_unique<SessionWork>(shared_->log, id_, shared_->config,
                                             make_session_setup(*shared_, id_),
                                             [this] { return take_interrupts(); });
      work->on_events(batch->events, batch->stop);
      sandbox_up_ = work->environment_ready();
      std::lock_guard lock(mu_);
      working_ = false;
    }
    work.reset();
    sandbox_up_ = false;
  }

  struct Batch {
    std::vector<WokenEvent> events;
    std::stop_token stop;
    bool idle = false;  // no events for the idle timeout: drop the environment
  };

  // Waits for queued events and takes them all; nothing once the session closes. With
  // `may_idle`, gives up after the idle timeout with an idle batch.
  std::optional<Batch> next_batch(bool may_idle) {
    std::unique_lock lock(mu_);
    auto ready = [&] { return closing_ || !queue_.empty(); };
    auto timeout = shared_->config.idle_timeout;
    if (may_idle && timeout.count() > 0) {
      if (!cv_.wait_for(lock, timeout, ready)) return Batch{{}, {}, true};
    } else {
      cv_.wait(lock, ready);
    }
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
  bool remove_storage_ = false;
  bool working_ = false;
  std::atomic<bool> sandbox_up_ = false;
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
