// Ctrl-C (SIGINT) as two steps for a command that follows a session: the first press asks
// for a gentle stop, the second for leaving at once. The handler only writes a byte to a
// pipe; a watcher thread reads it and runs the callbacks, so they may do anything (HTTP
// requests, printing). The handler is the process's only SIGINT disposition while the object
// lives; exec resets it, so sandboxed children keep the default.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace cove::cli {

class CtrlC {
 public:
  // `first` runs on the first press, on a thread of its own that the destructor joins;
  // `second` runs on the second press, on the watcher thread, without waiting for `first`.
  // Later presses are ignored.
  CtrlC(std::function<void()> first, std::function<void()> second);
  // Restores the previous disposition after the watcher has stopped; waits for `first`.
  ~CtrlC();
  CtrlC(const CtrlC&) = delete;
  CtrlC& operator=(const CtrlC&) = delete;

  int presses() const { return presses_.load(); }

 private:
  void watch();

  std::function<void()> first_;
  std::function<void()> second_;
  std::atomic<int> presses_{0};
  int pipe_[2] = {-1, -1};
  std::thread watcher_;
  std::thread first_thread_;
};

}  // namespace cove::cli
