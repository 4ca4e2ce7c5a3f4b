// The runtime's side of the file tools: requests to cove-tools, the server that runs them
// inside the sandbox (runtime/tools/server/). The runtime never touches the sandbox's files;
// it bounds each call in time and answer size, and kills the server on a stop.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "runtime/tools/text.hpp"
#include "runtime/tools/tool_wire.hpp"
#include "runtime/tools/tools.hpp"
#include "sandbox/init_image.hpp"

// Produced by `ld -r -b binary cove-tools` (see runtime/CMakeLists.txt).
extern "C" const char _binary_cove_tools_start[];
extern "C" const char _binary_cove_tools_end[];

namespace cove::tools {
namespace {

using Clock = std::chrono::steady_clock;

// Extra time the runtime gives a call beyond the server's own limit before killing it.
constexpr auto kGrace = std::chrono::seconds(10);

int server_image_fd() {
  static const int fd = sandbox::sealed_program(
      "cove-tools",
      std::string_view(_binary_cove_tools_start,
                       static_cast<size_t>(_binary_cove_tools_end - _binary_cove_tools_start)));
  return fd;
}

// Why a call ended without an answer.
enum class Cut { none, stopped, timed_out, broken };

// One request and its answer on the server's socket, bounded by a deadline and woken at once
// by the stop token (through an eventfd).
class Exchange {
 public:
  Exchange(int sock, Clock::time_point deadline, std::stop_token stop)
      : sock_(sock),
        deadline_(deadline),
        wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        on_stop_(std::move(stop), [fd = wake_.get()] {
          uint64_t one = 1;
          ssize_t ignored = ::write(fd, &one, sizeof one);
          (void)ignored;
        }) {
    if (!wake_) sandbox::throw_errno("tools", "eventfd", errno);
  }

  Cut send(const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      if (Cut cut = await(POLLOUT); cut != Cut::none) return cut;
      ssize_t n =
          ::send(sock_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return Cut::broken;
      sent += static_cast<std::size_t>(n);
    }
    return Cut::none;
  }

  // The body of one frame: the header first, then the body it announces (capped).
  Cut receive(std::string& body) {
    body.clear();
    std::size_t want = 4;
    bool have_header = false;
    while (body.size() < want) {
      if (Cut cut = await(POLLIN); cut != Cut::none) return cut;
      char buf[64 * 1024];
      ssize_t n = ::recv(sock_, buf, std::min(sizeof buf, want - body.size()), MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return Cut::broken;
      body.append(buf, static_cast<std::size_t>(n));
      if (!have_header && body.size() == 4) {
        want = wire::frame_length(reinterpret_cast<const unsigned char*>(body.data()));
        if (want > wire::kMaxAnswerBytes) return Cut::broken;
        body.clear();
        have_header = true;
      }
    }
    return Cut::none;
  }

 private:
  // Waits until the socket is ready for `events`; the reason when it is not.
  Cut await(short events) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return Cut::timed_out;
      pollfd fds[2] = {{sock_, events, 0}, {wake_.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 60000)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Cut::broken;
      if (fds[1].revents) return Cut::stopped;
      if (fds[0].revents & events) return Cut::none;
      if (fds[0].revents) return Cut::broken;
    }
  }

  int sock_;
  Clock::time_point deadline_;
  UniqueFd wake_;
  std::stop_callback<std::function<void()>> on_stop_;
};

}  // namespace

struct Workspace::Server {
  sandbox::Sandbox::Command command;
  UniqueFd socket;
};

Workspace::Workspace(sandbox::Sandbox& sandbox, std::string cwd, ToolLimits limits)
    : sandbox_(sandbox), cwd_(absolute_path("/", cwd)), limits_(limits) {}

Workspace::~Workspace() {
  std::lock_guard lock(mu_);
  stop_server();
}

void Workspace::start() {
  std::lock_guard lock(mu_);
  if (!server_) start_server();
}

void Workspace::start_server() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw sandbox::SandboxError("tools", std::string("socketpair: ") + std::strerror(errno));
  UniqueFd ours(pair[0]), theirs(pair[1]);
  sandbox::SpawnRequest req;
  req.argv = {"cove-tools",
              "--cwd",
              cwd_,
              "--max-output",
              std::to_string(limits_.max_output_bytes),
              "--max-file",
              std::to_string(limits_.max_file_bytes),
              "--max-glob",
              std::to_string(limits_.max_glob_results),
              "--time-limit-ms",
              std::to_string(limits_.grep_timeout.count())};
  req.env = {"LANG=C.UTF-8"};
  req.cwd = "/";
  req.stdin_fd = theirs.get();
  req.stdout_fd = theirs.get();
  req.exec_fd = server_image_fd();
  auto server = std::make_unique<Server>();
  server->command = sandbox_.spawn(req);
  server->socket = std::move(ours);
  server_ = std::move(server);
}

void Workspace::stop_server() {
  if (!server_) return;
  try {
    sandbox_.signal(server_->command, SIGKILL);
    sandbox_.wait(server_->command);
  } catch (const std::exception&) {
    // The sandbox is gone, and the server with it.
  }
  server_.reset();
}

ToolOutput Workspace::read(const json& input, std::stop_token stop) {
  return call("read", input, stop);
}
ToolOutput Workspace::write(const json& input, std::stop_token stop) {
  return call("write", input, stop);
}
ToolOutput Workspace::edit(const json& input, std::stop_token stop) {
  return call("edit", input, stop);
}
ToolOutput Workspace::glob(const json& input, std::stop_token stop) {
  return call("glob", input, stop);
}
ToolOutput Workspace::grep(const json& input, std::stop_token stop) {
  return call("grep", input, stop);
}

ToolOutput Workspace::call(const char* tool, const json& input, std::stop_token stop) {
  std::lock_guard lock(mu_);
  std::string request =
      json{{"tool", tool}, {"input", input}}.dump(-1, ' ', false, json::error_handler_t::replace);
  if (request.size() > wire::kMaxRequestBytes)
    return ToolOutput::text(std::string(tool) + ": the input is over " +
                                text::human_size(wire::kMaxRequestBytes) + "; split the work",
                            true);
  if (stop.stop_requested()) return ToolOutput::text("[interrupted]", true);
  if (!server_) start_server();

  Exchange exchange(server_->socket.get(), Clock::now() + limits_.grep_timeout + kGrace, stop);
  std::string answer;
  Cut cut = exchange.send(wire::frame(request));
  if (cut == Cut::none) cut = exchange.receive(answer);
  if (cut == Cut::none) {
    json reply = json::parse(answer, nullptr, false);
    if (reply.is_object() && reply.contains("content") && reply["content"].is_array()) {
      ToolOutput result;
      result.content = std::move(reply["content"]);
      result.is_error = reply.value("is_error", false);
      return result;
    }
    cut = Cut::broken;
  }
  // No answer: the server is killed (its work with it) and the next call starts a new one.
  std::string name = tool;
  stop_server();
  switch (cut) {
    case Cut::stopped:
      return ToolOutput::text("[interrupted: " + name + " was stopped]", true);
    case Cut::timed_out:
      return ToolOutput::text(name + " did not finish within " +
                                  std::to_string((limits_.grep_timeout + kGrace).count() / 1000) +
                                  " s and was stopped; narrow the path or the range",
                              true);
    default:
      return ToolOutput::text(name +
                                  " failed: the file tools' server ended without an answer (the "
                                  "sandbox's memory or process limits?); the next call starts a "
                                  "new one",
                              true);
  }
}

}  // namespace cove::tools
