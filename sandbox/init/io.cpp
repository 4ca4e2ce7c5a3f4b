#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sandbox/init/init.hpp"

namespace cove::sandbox::init {

void fail(std::string_view what, int err) {
  throw Failure{std::string(what) + ": " + std::strerror(err), err};
}

void fail(std::string_view what) {
  throw Failure{std::string(what)};
}

bool receive(int sock, std::string& msg, std::vector<int>& fds) {
  // One static buffer: its pages stay untouched (not resident) beyond the largest message
  // actually received, which keeps an idle init small.
  static char buf[wire::kMaxMessage];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * wire::kMaxFds)];
  iovec iov{buf, sizeof buf};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do
    n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  msg.assign(buf, static_cast<size_t>(n));
  fds.clear();
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  return true;
}

void send(int sock, const std::string& msg) {
  ssize_t n;
  do
    n = ::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

std::string failure_message(wire::Type type, uint32_t id, const Failure& f) {
  wire::Writer w(type);
  w.u32(id).u32(static_cast<uint32_t>(f.error)).str(f.message);
  return w.bytes();
}

}  // namespace cove::sandbox::init
