// listen_in_netns: a listening socket created inside a sandbox's network namespace. A socket
// belongs to the namespace it was created in, so a short-lived thread enters the namespace
// (setns affects only the calling thread), creates and binds the socket, and exits; the fd
// then works from any thread of the runtime.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <thread>

#include "runtime/netproxy/proxy.hpp"

namespace cove::netproxy {

UniqueFd listen_in_netns(pid_t pid, uint16_t port) {
  const std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/net";
  const std::string where = "127.0.0.1:" + std::to_string(port) +
                            " in the network namespace of pid " + std::to_string(pid);
  UniqueFd result;
  int error = 0;
  std::string step;
  std::thread worker([&] {
    auto fail = [&](std::string what) {
      error = errno;
      step = std::move(what);
    };
    UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return fail("open " + ns_path);
    if (::setns(ns.get(), CLONE_NEWNET) != 0) return fail("setns " + ns_path);
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fail("socket for " + where);
    int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
      return fail("setsockopt SO_REUSEADDR for " + where);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return fail("bind " + where);
    if (::listen(fd.get(), SOMAXCONN) != 0) return fail("listen on " + where);
    result = std::move(fd);
  });
  worker.join();
  if (!result) throw std::system_error(error, std::generic_category(), "listen_in_netns: " + step);
  return result;
}

}  // namespace cove::netproxy
