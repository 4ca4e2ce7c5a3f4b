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
#include "runtime/sessions/session_environment.hpp"
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
      holds_stop_.request_stop();
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

  std::shared_ptr<SandboxHold> hold_sandbox() override {
    std::unique_lock lock(mu_);
    if (closing_) throw std::runtime_error("the session is being closed");
    ++holds_;  // from here on, no idle teardown
    if (!access_) {
      prepare_wanted_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return closing_ || !prepare_wanted_; });
      if (!access_ || closing_) {
        --holds_;
        cv_.notify_all();
        throw std::runtime_error(closing_ ? "the session is being closed" : prepare_error_);
      }
    }
    auto hold =
        new SandboxHold{*access_->sandbox, access_->env, access_->cwd, holds_stop_.get_token()};
    return std::shared_ptr<SandboxHold>(hold, [self = shared_from_this()](SandboxHold* h) {
      delete h;
      std::lock_guard lock(self->mu_);
      --self->holds_;
      self->cv_.notify_all();
    });
  }

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
        continue;
      }
      if (!work)
        work = std::make_unique<SessionWork>(shared_->log, id_, shared_->config,
                                             make_session_setup(*shared_, id_),
                                             [this] { return take_interrupts(); });
      if (batch->prepare) {
        prepare(*work);
        continue;
      }
      work->on_events(batch->events, batch->stop);
      std::lock_guard lock(mu_);
      publish(*work);
      working_ = false;
    }
    // Commands holding the sandbox end first (close() fired their stop): they use it.
    std::unique_lock lock(mu_);
    access_.reset();
    sandbox_up_ = false;
    cv_.wait(lock, [&] { return holds_ == 0; });
    lock.unlock();
    work.reset();
  }

  // Builds the environment for a hold_sandbox() that found it down.
  void prepare(SessionWork& work) {
    std::string error = "the session's sandbox could not start (its events say why)";
    bool ok = false;
    try {
      ok = work.prepare();
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard lock(mu_);
    publish(work);
    if (!ok) prepare_error_ = error;
    prepare_wanted_ = false;
    cv_.notify_all();
  }

  // With mu_ held: what hold_sandbox() hands out, from the work's environment.
  void publish(SessionWork& work) {
    sandbox_up_ = work.environment_ready();
    access_.reset();
    if (auto* sb = work.setup().sandbox())
      access_ = Access{sb, SessionEnvironment::shell_env(), work.setup().workdir()};
  }

  struct Batch {
    std::vector<WokenEvent> events;
    std::stop_token stop;
    bool idle = false;     // no events for the idle timeout: drop the environment
    bool prepare = false;  // a hold_sandbox() waits for the environment
  };

  // Waits for queued events and takes them all; nothing once the session closes. With
  // `may_idle`, gives up after the idle timeout (unless a command holds the sandbox) with
  // an idle batch.
  std::optional<Batch> next_batch(bool may_idle) {
    std::unique_lock lock(mu_);
    auto ready = [&] { return closing_ || !queue_.empty() || prepare_wanted_; };
    auto timeout = shared_->config.idle_timeout;
    if (may_idle && timeout.count() > 0) {
      while (!cv_.wait_for(lock, timeout, ready)) {
        if (holds_ > 0) continue;
        access_.reset();  // under the same lock: no new hold finds it
        sandbox_up_ = false;
        return Batch{{}, {}, true, false};
      }
    } else {
      cv_.wait(lock, ready);
    }
    if (closing_) return std::nullopt;
    if (queue_.empty()) return Batch{{}, {}, false, true};
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
  // hold_sandbox(): the sandbox as handed out, how many holds live, a pending build.
  struct Access {
    sandbox::Sandbox* sandbox;
    std::vector<std::string> env;
    std::string cwd;
  };
  std::optional<Access> access_;
  int holds_ = 0;
  bool prepare_wanted_ = false;
  std::string prepare_error_;
  std::stop_source holds_stop_;
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
