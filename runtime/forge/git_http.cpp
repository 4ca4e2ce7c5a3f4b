// `git http-backend` as a CGI program, one process per request (see git_http.hpp).
#include "runtime/forge/git_http.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "base/unique_fd.hpp"

extern char** environ;

namespace cove::forge {

namespace {

std::string errno_text(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  read_end.reset(p[0]);
  write_end.reset(p[1]);
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<std::string> backend_environment(const GitBackendOptions& o, const CgiRequest& r) {
  std::vector<std::string> env;
  const char* path = std::getenv("PATH");
  env.push_back(std::string("PATH=") + (path ? path : "/usr/local/bin:/usr/bin:/bin"));
  env.push_back("HOME=" + o.home.string());
  env.push_back("GIT_CONFIG_NOSYSTEM=1");
  env.push_back("GIT_CONFIG_GLOBAL=/dev/null");
  env.push_back("GIT_PROJECT_ROOT=" + o.project_root.string());
  env.push_back("GIT_HTTP_EXPORT_ALL=1");
  env.push_back("GIT_HTTP_MAX_REQUEST_BUFFER=" + std::to_string(o.max_request_buffer));
  env.push_back("GATEWAY_INTERFACE=CGI/1.1");
  env.push_back("REQUEST_METHOD=" + r.method);
  env.push_back("PATH_INFO=" + r.path_info);
  env.push_back("QUERY_STRING=" + r.query);
  env.push_back("CONTENT_TYPE=" + r.content_type);
  env.push_back("CONTENT_LENGTH=" + std::to_string(r.body.size()));
  env.push_back("REMOTE_ADDR=" + r.remote_addr);
  if (!r.remote_user.empty()) env.push_back("REMOTE_USER=" + r.remote_user);
  if (!r.content_encoding.empty()) env.push_back("HTTP_CONTENT_ENCODING=" + r.content_encoding);
  if (!r.git_protocol.empty()) env.push_back("GIT_PROTOCOL=" + r.git_protocol);
  // Command-line-level configuration: receive-pack only for requests allowed to push, and
  // repositories owned by another user are still served (the forge owns the whole tree).
  env.push_back("GIT_CONFIG_COUNT=2");
  env.push_back("GIT_CONFIG_KEY_0=http.receivepack");
  env.push_back(std::string("GIT_CONFIG_VALUE_0=") + (r.allow_push ? "true" : "false"));
  env.push_back("GIT_CONFIG_KEY_1=safe.directory");
  env.push_back("GIT_CONFIG_VALUE_1=*");
  return env;
}

}  // namespace

std::optional<CgiResponse> parse_cgi_output(std::string_view output) {
  CgiResponse res;
  std::size_t pos = 0;
  for (;;) {
    auto eol = output.find('\n', pos);
    if (eol == std::string_view::npos) return std::nullopt;  // no end of the header block
    auto line = output.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string name(line.substr(0, colon));
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    if (lower(name) == "status") {
      int code = std::atoi(std::string(value.substr(0, 3)).c_str());
      if (code < 100 || code > 599) return std::nullopt;
      res.status = code;
    } else {
      res.headers.emplace_back(lower(name), std::string(value));
    }
  }
  res.body = std::string(output.substr(pos));
  return res;
}

namespace {

// The child's stdin, stdout and stderr, and the forge's ends of them.
struct BackendPipes {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  BackendPipes() {
    make_pipe(in_r, in_w);
    make_pipe(out_r, out_w);
    make_pipe(err_r, err_w);
  }
};

// Starts `git http-backend` on the pipes' child ends, with default SIGPIPE handling (the
// forge ignores SIGPIPE; git must not inherit that) and no blocked signals.
pid_t spawn_backend(const GitBackendOptions& options, const CgiRequest& request,
                    BackendPipes& pipes) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, pipes.out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, pipes.err_w.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  auto env = backend_environment(options, request);
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = options.git_program;
  std::string sub = "http-backend";
  char* argv[] = {program.data(), sub.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error("cannot start " + program + " http-backend: " + std::strerror(rc));
  pipes.in_r.reset();
  pipes.out_w.reset();
  pipes.err_w.reset();
  return pid;
}

// What the child wrote, stderr capped at 64 KiB.
struct BackendOutput {
  std::string out, err;
  bool timed_out = false;
};

// Writes the body to the child and reads its output until both outputs end or the deadline
// passes. One thread, one poll loop: a large push and a large answer cannot deadlock.
BackendOutput exchange(BackendPipes& pipes, const std::string& body,
                       std::chrono::steady_clock::time_point deadline) {
  if (body.empty()) pipes.in_w.reset();
  if (pipes.in_w) ::fcntl(pipes.in_w.get(), F_SETFL, O_NONBLOCK);
  BackendOutput got;
  std::size_t written = 0;
  char buf[65536];
  while (pipes.out_r || pipes.err_r) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (pipes.out_r) fds[i_out = n++] = {pipes.out_r.get(), POLLIN, 0};
    if (pipes.err_r) fds[i_err = n++] = {pipes.err_r.get(), POLLIN, 0};
    if (pipes.in_w) fds[i_in = n++] = {pipes.in_w.get(), POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      got.timed_out = true;
      break;
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(pipes.in_w.get(), body.data() + written, body.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == body.size())
        pipes.in_w.reset();  // done, or git stopped reading (EPIPE)
    }
    auto drain = [&](int index, UniqueFd& fd, std::string& sink, std::size_t cap) {
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r > 0) {
        if (sink.size() < cap) sink.append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    };
    drain(i_out, pipes.out_r, got.out, static_cast<std::size_t>(-1));
    drain(i_err, pipes.err_r, got.err, 64u << 10);
  }
  return got;
}

}  // namespace

CgiResponse run_http_backend(const GitBackendOptions& options, const CgiRequest& request) {
  BackendPipes pipes;
  pid_t pid = spawn_backend(options, request, pipes);
  auto got = exchange(pipes, request.body, std::chrono::steady_clock::now() + options.timeout);
  if (got.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got.timed_out) return {504, {{"content-type", "text/plain"}}, "git http-backend timed out\n"};
  auto parsed = parse_cgi_output(got.out);
  if (!parsed) {
    auto& err = got.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r'))
      err.pop_back();
    return {500,
            {{"content-type", "text/plain"}},
            "git http-backend failed" + (err.empty() ? std::string() : ": " + err) + "\n"};
  }
  return std::move(*parsed);
}

}  // namespace cove::forge
