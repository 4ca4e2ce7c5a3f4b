// init's request loop: spawn commands, deliver signals, enforce timeouts, reap everything
// (orphans are re-parented to init), report exits. When the supervisor's end of the control
// socket closes, init exits, and the kernel kills every process of the pid namespace.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "sandbox/init/init.hpp"

namespace cove::sandbox::init {
namespace {

struct Command {
  uint32_t id;
  pid_t pid;
  uint64_t deadline_ms;  // 0 = none
  bool keep_group;
  bool timed_out;
};

uint64_t now_ms() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

void kill_group(pid_t leader, int sig) {
  if (::kill(-leader, sig) != 0) ::kill(leader, sig);
}

class Reaper {
 public:
  Reaper(int sock, const wire::Setup& setup) : sock_(sock), setup_(setup) {}

  [[noreturn]] void run() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sigfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) ::_exit(1);
    std::string msg;
    std::vector<int> fds;
    for (;;) {
      pollfd pfd[2] = {{sock_, POLLIN, 0}, {sigfd, POLLIN, 0}};
      int rc = ::poll(pfd, 2, poll_timeout());
      if (rc < 0 && errno != EINTR) ::_exit(1);
      if (pfd[1].revents & POLLIN) {
        signalfd_siginfo info;
        while (::read(sigfd, &info, sizeof info) > 0) {
        }
        reap();
      }
      if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (!receive(sock_, msg, fds)) ::_exit(0);  // the supervisor is gone
        handle(msg, fds);
        for (int fd : fds)
          ::close(fd);
      }
      expire_deadlines();
    }
  }

 private:
  int poll_timeout() const {
    uint64_t next = 0;
    for (const auto& c : cmds_)
      if (c.deadline_ms && (!next || c.deadline_ms < next)) next = c.deadline_ms;
    if (!next) return -1;
    uint64_t now = now_ms();
    return next <= now ? 0 : static_cast<int>(std::min<uint64_t>(next - now, 60000));
  }

  void handle(const std::string& msg, const std::vector<int>& fds) {
    wire::Reader r(msg);
    switch (r.type()) {
      case wire::Type::kSpawn: {
        wire::Spawn req;
        if (!wire::decode(r, req)) return;
        SpawnContext ctx{&setup_, {-1, -1, -1}, -1};
        size_t next_fd = 0;
        for (int i = 0; i < 3; ++i)
          if ((req.flags & (wire::kStdinFd << i)) && next_fd < fds.size())
            ctx.stdio[i] = fds[next_fd++];
        if ((req.flags & wire::kExecFd) && next_fd < fds.size()) ctx.exec_fd = fds[next_fd++];
        try {
          pid_t pid = spawn(req, ctx);
          uint64_t deadline = req.timeout_ms ? now_ms() + req.timeout_ms : 0;
          cmds_.push_back(
              {req.id, pid, deadline, (req.flags & wire::kKeepGroupOnExit) != 0, false});
          wire::Writer w(wire::Type::kSpawned);
          w.u32(req.id).u32(static_cast<uint32_t>(pid));
          send(sock_, w.bytes());
        } catch (const Failure& f) {
          send(sock_, failure_message(wire::Type::kSpawnFailed, req.id, f));
        } catch (const std::exception& e) {
          send(sock_, failure_message(wire::Type::kSpawnFailed, req.id,
                                      Failure{std::string("spawn: ") + e.what()}));
        }
        return;
      }
      case wire::Type::kSignal: {
        uint32_t id = r.u32();
        int sig = static_cast<int>(r.u32());
        if (!r.ok()) return;
        for (const auto& c : cmds_)
          if (c.id == id) kill_group(c.pid, sig);
        return;
      }
      default:
        return;
    }
  }

  void reap() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(cmds_.begin(), cmds_.end(), [&](auto& c) { return c.pid == pid; });
      if (it == cmds_.end()) continue;  // an orphan: reaped, nothing to report
      if (!it->keep_group) ::kill(-pid, SIGKILL);
      wire::Exited e;
      e.id = it->id;
      e.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      e.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      e.timed_out = it->timed_out;
      send(sock_, wire::encode(e));
      cmds_.erase(it);
    }
  }

  void expire_deadlines() {
    uint64_t now = now_ms();
    for (auto& c : cmds_) {
      if (c.deadline_ms && c.deadline_ms <= now) {
        kill_group(c.pid, SIGKILL);
        c.timed_out = true;
        c.deadline_ms = 0;
      }
    }
  }

  int sock_;
  const wire::Setup& setup_;
  std::vector<Command> cmds_;
};

}  // namespace

void serve(int sock, const wire::Setup& setup) {
  Reaper(sock, setup).run();
}

}  // namespace cove::sandbox::init
