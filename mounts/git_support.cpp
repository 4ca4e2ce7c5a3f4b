#include "mounts/git_support.hpp"

#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "mounts/repo_url.hpp"

namespace cove::mounts {
namespace {

std::atomic<int> g_timeout_ms{60'000};

// libgit2 1.5.1 blocks forever on a silent peer. This stream replaces its plain socket
// stream (TLS streams are built on top of it) and bounds every connect, read and write.
struct TimeoutStream {
  git_stream parent;  // first member: libgit2 casts between the two
  std::string host;
  std::string port;
  int fd = -1;
};

int fail(const std::string& message) {
  git_error_set_str(GIT_ERROR_NET, message.c_str());
  return -1;
}

// Waits for events on fd; 0 when ready, -1 with a libgit2 error set otherwise.
int wait_for(int fd, short events, const TimeoutStream* s, const char* what) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, g_timeout_ms.load());
    if (n > 0) return 0;
    if (n == 0) {
      return fail(std::string(what) + " " + s->host + ":" + s->port + " timed out after " +
                  std::to_string(g_timeout_ms.load() / 1000) + " s without progress");
    }
    if (errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno));
  }
}

int stream_connect(git_stream* stream) {
  auto* s = reinterpret_cast<TimeoutStream*>(stream);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = ::getaddrinfo(s->host.c_str(), s->port.c_str(), &hints, &list); rc != 0) {
    return fail("cannot resolve " + s->host + ": " + ::gai_strerror(rc));
  }
  std::string last = "no address";
  for (addrinfo* a = list; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS && wait_for(fd, POLLOUT, s, "connecting to") == 0) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      s->fd = fd;
      ::freeaddrinfo(list);
      return 0;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(list);
  return fail("cannot connect to " + s->host + ":" + s->port + ": " + last);
}

ssize_t stream_read(git_stream* stream, void* data, size_t len) {
  auto* s = reinterpret_cast<TimeoutStream*>(stream);
  for (;;) {
    ssize_t n = ::recv(s->fd, data, len, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(std::string("error receiving data from socket: ") + std::strerror(errno));
    }
    if (wait_for(s->fd, POLLIN, s, "reading from") < 0) return -1;
  }
}

ssize_t stream_write(git_stream* stream, const char* data, size_t len, int) {
  auto* s = reinterpret_cast<TimeoutStream*>(stream);
  for (;;) {
    ssize_t n = ::send(s->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(std::string("error sending data to socket: ") + std::strerror(errno));
    }
    if (wait_for(s->fd, POLLOUT, s, "writing to") < 0) return -1;
  }
}

int stream_close(git_stream* stream) {
  auto* s = reinterpret_cast<TimeoutStream*>(stream);
  if (s->fd >= 0) ::close(s->fd);
  s->fd = -1;
  return 0;
}

void stream_free(git_stream* stream) {
  delete reinterpret_cast<TimeoutStream*>(stream);
}

int stream_new(git_stream** out, const char* host, const char* port) {
  auto* s = new TimeoutStream{};
  s->parent.version = GIT_STREAM_VERSION;
  s->parent.connect = stream_connect;
  s->parent.read = stream_read;
  s->parent.write = stream_write;
  s->parent.close = stream_close;
  s->parent.free = stream_free;
  s->host = host;
  s->port = port ? port : "80";
  *out = &s->parent;
  return 0;
}

int credentials_cb(git_credential** out, const char* url, const char*, unsigned int allowed,
                   void* payload) {
  auto* session = static_cast<RemoteSession*>(payload);
  ++session->credential_requests;
  if (session->token.empty()) {
    git_error_set_str(GIT_ERROR_HTTP,
                      "the repository requires authentication and no token "
                      "was given");
    return GIT_EAUTH;
  }
  if (url_host(url ? url : "") != session->host) {
    session->wrong_host = true;  // e.g. a redirect to another host: never send the token
    git_error_set_str(GIT_ERROR_HTTP, "credentials requested by another host");
    return GIT_EAUTH;
  }
  if (++session->attempts > 1) {
    session->token_rejected = true;
    git_error_set_str(GIT_ERROR_HTTP, "the token was rejected");
    return GIT_EAUTH;
  }
  if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
    git_error_set_str(GIT_ERROR_HTTP, "the remote does not accept a token");
    return GIT_EAUTH;
  }
  return git_credential_userpass_plaintext_new(out, "x-access-token", session->token.c_str());
}

int transfer_cb(const git_indexer_progress* stats, void* payload) {
  auto* session = static_cast<RemoteSession*>(payload);
  if (session->progress && *session->progress) {
    FetchProgress p;
    p.url = session->url;
    p.received_objects = stats->received_objects;
    p.total_objects = stats->total_objects;
    p.indexed_deltas = stats->indexed_deltas;
    p.total_deltas = stats->total_deltas;
    p.received_bytes = stats->received_bytes;
    (*session->progress)(p);
  }
  return 0;
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    static git_stream_registration registration{};
    registration.version = GIT_STREAM_VERSION;
    registration.init = stream_new;
    git_stream_register(GIT_STREAM_STANDARD, &registration);
  });
}

void set_network_timeout(std::chrono::milliseconds timeout) {
  g_timeout_ms = static_cast<int>(timeout.count());
}

void git_check(int rc, const char* what) {
  if (rc >= 0) return;
  const git_error* e = git_error_last();
  std::string message = what;
  message += ": ";
  message += e && e->message ? e->message : "unknown libgit2 error";
  throw GitFailure(rc, e ? e->klass : 0, message);
}

void RemoteSession::bind(git_remote_callbacks& callbacks) {
  callbacks.credentials = credentials_cb;
  callbacks.transfer_progress = transfer_cb;
  callbacks.payload = this;
  attempts = 0;
}

// The HTTP status libgit2 reports ("unexpected http status code: 403"), or 0. Matching the
// bare digits instead would also match them inside a URL's port.
static int http_status(const std::string& message) {
  for (const char* marker : {"http status code: ", "unexpected status: "}) {
    size_t at = message.find(marker);
    if (at != std::string::npos) return std::atoi(message.c_str() + at + std::strlen(marker));
  }
  return 0;
}

RepoError remote_error(const RemoteSession& session, const GitFailure& failure,
                       RepoErrorKind otherwise) {
  const std::string& m = failure.what();
  const int status = http_status(m);
  if (session.token_rejected) {
    return RepoError(RepoErrorKind::authentication, session.url, "the token was rejected");
  }
  if (session.wrong_host) {
    return RepoError(RepoErrorKind::authentication, session.url,
                     "credentials were requested by another host; the token was not sent");
  }
  if (failure.code == GIT_EAUTH || status == 401) {
    return RepoError(RepoErrorKind::authentication, session.url,
                     session.token.empty() ? "the repository requires a token" : m);
  }
  if (status == 403) {
    return RepoError(RepoErrorKind::forbidden, session.url,
                     "the token may not read it (" + m + ")");
  }
  if (status == 404 || contains(m, "could not find repository") ||
      contains(m, "failed to resolve path") || contains(m, "not a git repository")) {
    return RepoError(RepoErrorKind::not_found, session.url, "no such repository (" + m + ")");
  }
  // libgit2 quotes the server's Content-Type; say what it means instead.
  if (contains(m, "content-type") || contains(m, "Content-Type"))
    return RepoError(otherwise, session.url, "the server did not answer as a git server");
  return RepoError(otherwise, session.url, m);
}

}  // namespace cove::mounts
