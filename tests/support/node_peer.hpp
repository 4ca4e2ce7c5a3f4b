// Starts a node program as a test peer on 127.0.0.1 and stops it (its whole process group)
// when the test is done. The peer reports its port by printing "PORT <n>" on stdout, or is
// given one through the environment and polled until it accepts connections.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cove::test {

inline std::string source_dir() {
  return COVE_SOURCE_DIR;
}

// A port that was free a moment ago (for peers that cannot listen on port 0).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_port: bind failed");
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

inline bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class NodePeer {
 public:
  // args: node's arguments (script first); env: "NAME=value" entries added to PATH; port: 0
  // to read "PORT <n>" from the peer's stdout, else the port it was told to use.
  NodePeer(std::vector<std::string> args, std::vector<std::string> env, int port = 0) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    env.push_back(std::string("PATH=") +
                  (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin"));
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(out[1], 1);
      std::vector<char*> argv{const_cast<char*>(COVE_NODE)};
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (auto& e : env)
        envp.push_back(e.data());
      envp.push_back(nullptr);
      ::execve(COVE_NODE, argv.data(), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out[1]);
    out_ = out[0];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    if (port != 0) {
      while (!accepts(port)) {
        if (std::chrono::steady_clock::now() > deadline) fail("did not start listening");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      port_ = port;
      return;
    }
    std::string seen;
    while (port_ == 0) {
      pollfd p{out_, POLLIN, 0};
      if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 200) < 0)
        fail("printed no port");
      if (!(p.revents & (POLLIN | POLLHUP))) continue;
      char buf[256];
      auto n = ::read(out_, buf, sizeof buf);
      if (n <= 0) fail("exited before printing its port");
      seen.append(buf, static_cast<size_t>(n));
      auto at = seen.find("PORT ");
      if (at != std::string::npos && seen.find('\n', at) != std::string::npos)
        port_ = std::stoi(seen.substr(at + 5));
    }
  }
  ~NodePeer() { stop(); }
  NodePeer(const NodePeer&) = delete;
  NodePeer& operator=(const NodePeer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    stop();
    throw std::runtime_error("test peer " + why);
  }
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

}  // namespace cove::test
