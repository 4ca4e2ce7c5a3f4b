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

extern char** environ;

namespace cove::forge {

namespace {

std::string errno_text(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  read_end.fd = p[0];
  write_end.fd = p[1];
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

CgiResponse run_http_backend(const GitBackendOptions& options, const CgiRequest& request) {
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  make_pipe(in_r, in_w);
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // the forge ignores SIGPIPE; git must not inherit that
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
  in_r.reset();
  out_w.reset();
  err_w.reset();
  if (request.body.empty()) in_w.reset();
  if (in_w.fd >= 0) ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);

  std::string out, err;
  std::size_t written = 0;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (out_r.fd >= 0) fds[i_out = n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[i_err = n++] = {err_r.fd, POLLIN, 0};
    if (in_w.fd >= 0) fds[i_in = n++] = {in_w.fd, POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_w.fd, request.body.data() + written, request.body.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == request.body.size())
        in_w.reset();  // done, or git stopped reading (EPIPE)
    }
    auto drain = [&](int index, Fd& fd, std::string& sink, std::size_t cap) {
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = ::read(fd.fd, buf, sizeof buf);
      if (r > 0) {
        if (sink.size() < cap) sink.append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    };
    drain(i_out, out_r, out, static_cast<std::size_t>(-1));
    drain(i_err, err_r, err, 64u << 10);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return {504, {{"content-type", "text/plain"}}, "git http-backend timed out\n"};
  auto parsed = parse_cgi_output(out);
  if (!parsed) {
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r'))
      err.pop_back();
    return {500,
            {{"content-type", "text/plain"}},
            "git http-backend failed" + (err.empty() ? std::string() : ": " + err) + "\n"};
  }
  return std::move(*parsed);
}

}  // namespace cove::forge
