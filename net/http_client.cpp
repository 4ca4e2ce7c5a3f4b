#include "net/http_client.hpp"

#include <openssl/ssl.h>
#include <strings.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <map>

namespace cove::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& h : headers)
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0)
      return std::string_view(h.value);
  return std::nullopt;
}

namespace {

// One TCP (optionally TLS) connection to an origin.
struct Connection {
  std::string origin;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp_layer() { return tls ? tls->next_layer() : *plain; }
  void close() {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().close();
  }
};

void set_deadline(beast::tcp_stream& s, std::chrono::milliseconds timeout) {
  if (timeout.count() > 0)
    s.expires_after(timeout);
  else
    s.expires_never();
}

std::string describe(const HttpRequest& r) {
  return r.method + " " + r.url.str();
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  asio::any_io_executor executor;
  HttpClientOptions options;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  std::multimap<std::string, std::unique_ptr<Connection>> idle;
  std::size_t opened = 0;

  Impl(asio::any_io_executor ex, HttpClientOptions opts)
      : executor(std::move(ex)), options(std::move(opts)) {
    ssl.set_default_verify_paths();
    if (!options.extra_ca_file.empty()) {
      beast::error_code ec;
      ssl.load_verify_file(options.extra_ca_file, ec);
      if (ec) throw HttpError("loading CA file " + options.extra_ca_file + ": " + ec.message());
    }
    ssl.set_verify_mode(asio::ssl::verify_peer);
  }

  std::unique_ptr<Connection> take_idle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto c = std::move(it->second);
    idle.erase(it);
    return c;
  }

  void give_back(std::unique_ptr<Connection> c) {
    if (idle.count(c->origin) >= options.max_idle_per_origin) {
      c->close();
      return;
    }
    std::string origin = c->origin;
    idle.emplace(std::move(origin), std::move(c));
  }

  Task<std::unique_ptr<Connection>> connect(const Url& url) {
    auto c = std::make_unique<Connection>();
    c->origin = url.origin();
    c->buffer.reserve(16384);  // read a whole small reply at once, not 512 bytes at a time
    tcp::resolver resolver(executor);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (rec) throw HttpError("resolving " + url.host + ": " + rec.message());
    if (url.tls())
      c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, ssl);
    else
      c->plain = std::make_unique<beast::tcp_stream>(executor);
    auto& tcp_layer = c->tcp_layer();
    tcp_layer.expires_after(options.connect_timeout);
    auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, use_tuple);
    if (cec == beast::error::timeout) throw HttpError("connecting to " + c->origin + ": timed out");
    if (cec) throw HttpError("connecting to " + c->origin + ": " + cec.message());
    tcp_layer.socket().set_option(tcp::no_delay(true));
    ++opened;
    if (c->tls) {
      if (!SSL_set_tlsext_host_name(c->tls->native_handle(), url.host.c_str()))
        throw HttpError("TLS to " + c->origin + ": cannot set server name");
      c->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
      auto [hec] = co_await c->tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (hec) throw HttpError("TLS handshake with " + c->origin + ": " + hec.message());
    }
    tcp_layer.expires_never();
    co_return c;
  }
};

struct HttpResponseStream::Impl {
  std::weak_ptr<HttpClient::Impl> client;
  std::unique_ptr<Connection> conn;
  http::response_parser<http::buffer_body> parser;
  std::string what;  // "POST https://…" for error messages
  std::chrono::milliseconds read_timeout{};
  int status = 0;
  Headers headers;
  bool done = false;
  bool aborted = false;
  bool failed = false;

  void finish() {
    done = true;
    auto c = client.lock();
    if (c && conn && !aborted && !failed && parser.get().keep_alive())
      c->give_back(std::move(conn));
    else if (conn)
      conn->close();
    conn.reset();
  }
};

namespace {

// Writes the request and reads the response head on `s`. Returns an error code instead of
// throwing, so the caller can retry a stale pooled connection.
template <class Stream>
Task<beast::error_code> exchange_head(Stream& s, beast::tcp_stream& tcp_layer,
                                      http::request<http::string_body>& req,
                                      HttpResponseStream::Impl& r) {
  tcp_layer.expires_after(std::chrono::seconds(30));
  auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
  if (wec) co_return wec;
  set_deadline(tcp_layer, r.read_timeout);
  auto [rec, rn] = co_await http::async_read_header(s, r.conn->buffer, r.parser, use_tuple);
  co_return rec;
}

template <class Stream>
Task<std::pair<beast::error_code, std::size_t>> read_body_some(Stream& s,
                                                               HttpResponseStream::Impl& r,
                                                               char* buf, std::size_t size) {
  r.parser.get().body().data = buf;
  r.parser.get().body().size = size;
  set_deadline(r.conn->tcp_layer(), r.read_timeout);
  auto [ec, n] = co_await http::async_read_some(s, r.conn->buffer, r.parser, use_tuple);
  if (ec == http::error::need_buffer) ec = {};
  co_return std::pair{ec, size - r.parser.get().body().size};
}

}  // namespace

HttpResponseStream::HttpResponseStream(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpResponseStream::~HttpResponseStream() {
  if (impl_ && impl_->conn) {
    // A body read to its end leaves a reusable connection; anything else is closed.
    impl_->failed = impl_->failed || !(impl_->done || impl_->parser.is_done());
    impl_->finish();
  }
}

int HttpResponseStream::status() const {
  return impl_->status;
}
const Headers& HttpResponseStream::headers() const {
  return impl_->headers;
}
std::optional<std::string_view> HttpResponseStream::header(std::string_view name) const {
  return find_header(impl_->headers, name);
}
bool HttpResponseStream::aborted() const {
  return impl_->aborted;
}
bool HttpResponseStream::complete() const {
  return impl_->done;
}
bool HttpResponseStream::has_data_ready() const {
  const auto& r = *impl_;
  if (r.done || r.aborted || !r.conn) return false;
  if (r.parser.is_done() || r.conn->buffer.size() > 0) return true;
  beast::error_code ec;
  return r.conn->tcp_layer().socket().available(ec) > 0 && !ec;
}
void HttpResponseStream::set_read_timeout(std::chrono::milliseconds timeout) {
  impl_->read_timeout = timeout;
}

void HttpResponseStream::abort() {
  if (impl_->aborted || impl_->done) return;
  impl_->aborted = true;
  if (impl_->conn) impl_->conn->close();
}

Task<std::optional<std::string>> HttpResponseStream::read_some() {
  auto r = impl_;  // keeps the state alive across suspension
  char buf[16384];
  while (true) {
    if (r->done) co_return std::nullopt;
    if (r->aborted) throw HttpError(r->what + ": aborted");
    if (r->parser.is_done()) {
      r->finish();
      co_return std::nullopt;
    }
    auto [ec, n] = r->conn->tls ? co_await read_body_some(*r->conn->tls, *r, buf, sizeof buf)
                                : co_await read_body_some(*r->conn->plain, *r, buf, sizeof buf);
    if (r->aborted) throw HttpError(r->what + ": aborted");
    if (ec) {
      r->failed = true;
      r->finish();
      if (ec == beast::error::timeout) throw HttpError(r->what + ": timed out reading the body");
      throw HttpError(r->what + ": reading the body: " + ec.message());
    }
    if (r->parser.is_done() && n == 0) {
      r->finish();
      co_return std::nullopt;
    }
    if (n > 0) co_return std::string(buf, n);
  }
}

Task<std::string> HttpResponseStream::read_all(std::size_t limit) {
  std::string body;
  while (auto piece = co_await read_some()) {
    body += *piece;
    if (body.size() > limit) {
      abort();
      throw HttpError(impl_->what + ": body larger than " + std::to_string(limit) + " bytes");
    }
  }
  co_return body;
}

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  for (auto& [origin, c] : impl_->idle)
    c->close();
  impl_->idle.clear();
}

asio::any_io_executor HttpClient::executor() const {
  return impl_->executor;
}
std::size_t HttpClient::idle_connections() const {
  return impl_->idle.size();
}
std::size_t HttpClient::connections_opened() const {
  return impl_->opened;
}

Task<std::unique_ptr<HttpResponseStream>> HttpClient::open(HttpRequest request) {
  auto self = impl_;
  for (int hop = 0;; ++hop) {
    http::request<http::string_body> req;
    auto verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) throw HttpError(describe(request) + ": unknown method");
    req.method(verb);
    req.target(request.url.target);
    req.version(11);
    req.set(http::field::host, request.url.host_header());
    req.set(http::field::user_agent, self->options.user_agent);
    for (const auto& h : request.headers)
      req.set(h.name, h.value);
    req.body() = request.body;
    if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put)
      req.prepare_payload();

    std::shared_ptr<HttpResponseStream::Impl> r;
    // A pooled connection may have been closed by the server meanwhile: retry once, fresh.
    for (int attempt = 0;; ++attempt) {
      r = std::make_shared<HttpResponseStream::Impl>();
      r->client = self;
      r->what = describe(request);
      r->read_timeout = request.read_timeout;
      r->parser.body_limit(boost::none);
      r->conn = attempt == 0 ? self->take_idle(request.url.origin()) : nullptr;
      bool reused = r->conn != nullptr;
      if (!reused) r->conn = co_await self->connect(request.url);
      auto ec = r->conn->tls ? co_await exchange_head(*r->conn->tls, r->conn->tcp_layer(), req, *r)
                             : co_await exchange_head(*r->conn->plain, *r->conn->plain, req, *r);
      if (!ec) break;
      r->conn->close();
      bool stale =
          reused && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                     ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
      if (stale && attempt == 0) continue;
      if (ec == beast::error::timeout)
        throw HttpError(r->what + ": timed out waiting for the response");
      throw HttpError(r->what + ": " + ec.message());
    }
    const auto& head = r->parser.get();
    r->status = static_cast<int>(head.result_int());
    for (const auto& f : head)
      r->headers.push_back({std::string(f.name_string()), std::string(f.value())});

    if (is_redirect(r->status)) {
      auto location = find_header(r->headers, "Location").value_or("");
      std::string where(location);
      HttpResponseStream drop(r);
      drop.abort();
      if (self->options.redirects == RedirectPolicy::refuse)
        throw HttpError(describe(request) + ": redirect (" + std::to_string(r->status) + ") to '" +
                        where + "' refused");
      Url next = resolve_url(request.url, where);
      if (next.origin() != request.url.origin())
        throw HttpError(describe(request) + ": redirect to another origin (" + next.origin() +
                        ") refused");
      if (hop + 1 >= self->options.max_redirects)
        throw HttpError(describe(request) + ": too many redirects");
      if (r->status == 303) {
        request.method = "GET";
        request.body.clear();
      }
      request.url = next;
      continue;
    }
    co_return std::make_unique<HttpResponseStream>(std::move(r));
  }
}

Task<HttpResponse> HttpClient::send(HttpRequest request) {
  auto stream = co_await open(std::move(request));
  HttpResponse out;
  out.status = stream->status();
  out.headers = stream->headers();
  out.body = co_await stream->read_all();
  co_return out;
}

}  // namespace cove::net
