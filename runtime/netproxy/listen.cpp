// listen_in_netns: a listening socket created inside a sandbox's network namespace. A socket
// belongs to the namespace it was created in, so a short-lived child enters the namespace,
// creates and binds the socket, and exits; the fd then works from any thread of the runtime.
//
// The child shares the runtime's memory and fd table (clone with CLONE_VM | CLONE_FILES,
// the runtime's thread waiting as for vfork), so the socket it makes is already the
// runtime's. It is a process of its own because an unprivileged runtime (rootless) must
// first enter the sandbox's user namespace, which owns the network namespace, and only a
// single-threaded process may do that; host root enters the network namespace directly.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "runtime/netproxy/proxy.hpp"

namespace cove::netproxy {
namespace {

// The steps of the child, for the error message.
enum Step { kEnterUser, kEnterNet, kSocket, kReuse, kBind, kListen, kDone };

struct ListenJob {
  int user_ns = -1;  // -1: stay in the runtime's user namespace
  int net_ns = -1;
  uint16_t port = 0;
  int fd = -1;  // out: the listening socket
  Step step = kEnterUser;
  int error = 0;
};

// Runs on its own stack in the runtime's memory until it exits: system calls only.
__attribute__((no_sanitize("address", "undefined"))) int listen_child(void* p) {
  auto* job = static_cast<ListenJob*>(p);
  auto fail = [&](Step step) {
    job->step = step;
    job->error = errno;
    return 1;
  };
  if (job->user_ns >= 0 && ::setns(job->user_ns, CLONE_NEWUSER) != 0) return fail(kEnterUser);
  if (::setns(job->net_ns, CLONE_NEWNET) != 0) return fail(kEnterNet);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(kSocket);
  job->fd = fd;
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail(kReuse);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(job->port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return fail(kBind);
  if (::listen(fd, SOMAXCONN) != 0) return fail(kListen);
  job->step = kDone;
  return 0;
}

const char* describe(Step step) {
  switch (step) {
    case kEnterUser:
      return "setns (user namespace) for";
    case kEnterNet:
      return "setns (network namespace) for";
    case kSocket:
      return "socket for";
    case kReuse:
      return "setsockopt SO_REUSEADDR for";
    case kBind:
      return "bind";
    case kListen:
      return "listen on";
    case kDone:
      break;
  }
  return "";
}

UniqueFd open_ns(pid_t pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), "listen_in_netns: open " + path);
  return fd;
}

}  // namespace

UniqueFd listen_in_netns(pid_t pid, uint16_t port) {
  UniqueFd net = open_ns(pid, "net");
  UniqueFd user = ::geteuid() == 0 ? UniqueFd() : open_ns(pid, "user");
  ListenJob job{user ? user.get() : -1, net.get(), port};
  alignas(16) static thread_local char stack[16 * 1024];
  pid_t child = ::clone(listen_child, stack + sizeof stack,
                        CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &job);
  if (child < 0) throw std::system_error(errno, std::generic_category(), "listen_in_netns: clone");
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  UniqueFd result(job.fd);
  if (job.step == kDone) return result;
  throw std::system_error(job.error, std::generic_category(),
                          std::string("listen_in_netns: ") + describe(job.step) +
                              " 127.0.0.1:" + std::to_string(port) +
                              " in the network namespace of pid " + std::to_string(pid));
}

}  // namespace cove::netproxy
