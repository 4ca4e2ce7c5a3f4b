#include "runtime/cli/ctrl_c.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cove::cli {

namespace {

int g_write_end = -1;  // the pipe the handler writes to (one CtrlC at a time)
struct sigaction g_previous {};

void on_sigint(int) {
  int saved = errno;
  char press = 'i';
  [[maybe_unused]] auto n = ::write(g_write_end, &press, 1);
  errno = saved;
}

}  // namespace

CtrlC::CtrlC(std::function<void()> first, std::function<void()> second)
    : first_(std::move(first)), second_(std::move(second)) {
  if (::pipe2(pipe_, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  g_write_end = pipe_[1];
  watcher_ = std::thread([this] { watch(); });
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &g_previous);
}

CtrlC::~CtrlC() {
  ::sigaction(SIGINT, &g_previous, nullptr);
  char quit = 'q';
  [[maybe_unused]] auto n = ::write(pipe_[1], &quit, 1);
  watcher_.join();
  if (first_thread_.joinable()) first_thread_.join();
  g_write_end = -1;
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

void CtrlC::watch() {
  for (;;) {
    char c = 0;
    ssize_t n = ::read(pipe_[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == 'q') return;
    int press = ++presses_;
    // The first callback may wait on the network; the second press must not wait for it.
    if (press == 1 && first_) first_thread_ = std::thread(first_);
    if (press == 2 && second_) second_();
  }
}

}  // namespace cove::cli
