// Carries a std::stop_token's request onto an executor: while a StopRelay lives, `on_stop` runs
// once on the executor when stop is requested, whichever thread requested it. Providers use it
// to abort an in-flight request or cancel a timer from the thread that owns them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>

namespace cove::models {

class StopRelay {
 public:
  // Construct and destroy on the executor. `on_stop` may use objects that outlive the relay.
  StopRelay(boost::asio::any_io_executor executor, std::stop_token token,
            std::function<void()> on_stop)
      : state_(std::make_shared<State>()) {
    state_->on_stop = std::move(on_stop);
    callback_.emplace(std::move(token), Post{state_, std::move(executor)});
  }
  ~StopRelay() {
    callback_.reset();     // no new posts after this
    state_->live = false;  // posts already queued find the relay gone
  }
  StopRelay(const StopRelay&) = delete;
  StopRelay& operator=(const StopRelay&) = delete;

 private:
  struct State {
    std::function<void()> on_stop;
    bool live = true;
    bool fired = false;
  };
  struct Post {
    std::shared_ptr<State> state;
    boost::asio::any_io_executor executor;
    void operator()() {
      boost::asio::post(executor, [s = state] {
        if (!s->live || s->fired) return;
        s->fired = true;
        s->on_stop();
      });
    }
  };
  std::shared_ptr<State> state_;
  std::optional<std::stop_callback<Post>> callback_;
};

}  // namespace cove::models
