#include "net/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <thread>

namespace cove::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view ServerRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

ResponseStream::ResponseStream(std::size_t max_buffered) : max_buffered_(max_buffered) {}

bool ResponseStream::push(std::string bytes) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (queued_.size() + bytes.size() > max_buffered_) {
      closed_ = true;  // too slow a reader: drop it, it can resume later
      queued_.clear();
    } else {
      queued_ += bytes;
    }
    wake = wake_;
  }
  if (wake) wake();
  return true;
}

void ResponseStream::close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

bool ResponseStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void ResponseStream::set_heartbeat(std::chrono::milliseconds interval, std::string bytes) {
  std::lock_guard lock(mu_);
  heartbeat_interval_ = interval;
  heartbeat_bytes_ = std::move(bytes);
}

ResponseStream::Taken ResponseStream::take() {
  std::lock_guard lock(mu_);
  Taken t;
  t.bytes.swap(queued_);
  t.closed = closed_;
  return t;
}

void ResponseStream::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::chrono::milliseconds ResponseStream::heartbeat_interval() const {
  std::lock_guard lock(mu_);
  return heartbeat_interval_;
}

std::string ResponseStream::heartbeat_bytes() const {
  std::lock_guard lock(mu_);
  return heartbeat_bytes_;
}

std::pair<std::string, uint16_t> parse_listen_address(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw std::invalid_argument("listen address must be HOST:PORT, got '" + std::string(address) +
                                "'");
  std::string host(address.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    throw std::invalid_argument("listen port must be 0-65535, got '" + std::string(port_text) +
                                "'");
  return {host, static_cast<uint16_t>(port)};
}

struct HttpServer::Impl {
  HttpServerOptions opt;
  HttpHandler handler;
  asio::io_context ioc;
  asio::thread_pool workers;
  tcp::acceptor acceptor{ioc};

  Impl(HttpServerOptions o, HttpHandler h)
      : opt(std::move(o)),
        handler(std::move(h)),
        ioc(std::max(1, opt.io_threads)),
        workers(static_cast<std::size_t>(std::max(1, opt.handler_threads))) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(beast::tcp_stream stream);
  // Reads one request's header, then its body, into parser; an error to answer (then close)
  // when the request is too large or malformed.
  enum class Read { request, refused, closed };
  asio::awaitable<Read> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                     http::request_parser<http::string_body>& parser,
                                     ServerResponse& refusal);
  // Writes a response whose body is known; false when the connection should close.
  asio::awaitable<bool> write_response(beast::tcp_stream& stream, ServerResponse out,
                                       unsigned version, bool keep_alive);
  asio::awaitable<ServerResponse> call_handler(ServerRequest req);
  asio::awaitable<void> write_stream(beast::tcp_stream& stream, ServerResponse& res);
  asio::awaitable<void> linger(beast::tcp_stream& stream);
};

namespace {

ServerResponse plain_error(int status, std::string_view message) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  // The smallest body that is still the API's error envelope shape.
  std::string type = status == 413 ? "request_too_large" : "invalid_request_error";
  r.body = R"({"type":"error","error":{"type":")" + type + R"(","message":")" +
           std::string(message) + R"("}})";
  return r;
}

ServerRequest to_server_request(http::request<http::string_body>& msg, const std::string& peer) {
  ServerRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.peer = peer;
  return req;
}

std::string chunk(std::string_view data) {
  char size[24];
  auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
  (void)ec;
  std::string out(size, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

}  // namespace

asio::awaitable<ServerResponse> HttpServer::Impl::call_handler(ServerRequest req) {
  struct Pending {
    std::mutex mu;
    std::optional<ServerResponse> response;
  };
  auto exec = co_await asio::this_coro::executor;
  auto pending = std::make_shared<Pending>();
  auto timer = std::make_shared<asio::steady_timer>(exec);
  asio::post(workers, [this, pending, timer, exec, req = std::move(req)]() mutable {
    ServerResponse res;
    try {
      res = handler(req);
    } catch (...) {
      res = plain_error(500, "internal error");
    }
    {
      std::lock_guard lock(pending->mu);
      pending->response = std::move(res);
    }
    asio::post(exec, [timer] { timer->cancel(); });
  });
  for (;;) {
    {
      std::lock_guard lock(pending->mu);
      if (pending->response) co_return std::move(*pending->response);
    }
    timer->expires_at(asio::steady_timer::time_point::max());
    beast::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> HttpServer::Impl::write_stream(beast::tcp_stream& stream,
                                                     ServerResponse& res) {
  std::string head = "HTTP/1.1 " + std::to_string(res.status) + " OK\r\n";
  for (const auto& [k, v] : res.headers)
    head += k + ": " + v + "\r\n";
  head += "transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
  beast::error_code ec;
  stream.expires_after(opt.write_timeout);
  co_await asio::async_write(stream, asio::buffer(head),
                             asio::redirect_error(asio::use_awaitable, ec));
  auto rs = res.stream;
  if (ec) {
    rs->close();
    co_return;
  }
  auto exec = co_await asio::this_coro::executor;
  auto wake_timer = std::make_shared<asio::steady_timer>(exec);
  rs->set_waker([wake_timer, exec] { asio::post(exec, [wake_timer] { wake_timer->cancel(); }); });
  const auto heartbeat = rs->heartbeat_interval();
  for (;;) {
    auto taken = rs->take();
    if (!taken.bytes.empty()) {
      auto framed = chunk(taken.bytes);
      stream.expires_after(opt.write_timeout);
      co_await asio::async_write(stream, asio::buffer(framed),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      continue;
    }
    if (taken.closed) {
      stream.expires_after(opt.write_timeout);
      co_await asio::async_write(stream, asio::buffer(std::string_view("0\r\n\r\n")),
                                 asio::redirect_error(asio::use_awaitable, ec));
      break;
    }
    wake_timer->expires_after(heartbeat);
    co_await wake_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {  // nothing happened for a whole interval: keep the connection warm
      auto framed = chunk(rs->heartbeat_bytes());
      stream.expires_after(opt.write_timeout);
      co_await asio::async_write(stream, asio::buffer(framed),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }
  rs->set_waker(nullptr);
  rs->close();
}

// After answering a request early (413, say) the client may still be sending its body: read
// and discard it for a moment so it sees the response instead of a connection reset.
asio::awaitable<void> HttpServer::Impl::linger(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> sink(64 * 1024);
  std::size_t total = 0;
  stream.expires_after(std::chrono::seconds(5));
  while (!ec && total < (64u << 20)) {
    total += co_await stream.async_read_some(asio::buffer(sink),
                                             asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<HttpServer::Impl::Read> HttpServer::Impl::read_request(
    beast::tcp_stream& stream, beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser, ServerResponse& refusal) {
  beast::error_code ec;
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::body_limit) {  // Content-Length above the limit
    refusal = plain_error(413, "request body too large");
    co_return Read::refused;
  }
  if (ec == http::error::header_limit) {
    refusal = plain_error(431, "request headers too large");
    co_return Read::refused;
  }
  if (ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      co_return Read::closed;
    refusal = plain_error(400, "malformed HTTP request");
    co_return Read::refused;
  }
  auto length = parser.content_length();
  if (length && *length > opt.max_body_bytes) {
    refusal = plain_error(413, "request body too large");
    co_return Read::refused;
  }
  stream.expires_after(opt.header_timeout);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::body_limit) {
    refusal = plain_error(413, "request body too large");
    co_return Read::refused;
  }
  if (ec) {
    if (ec == beast::error::timeout || ec == http::error::end_of_stream) co_return Read::closed;
    refusal = plain_error(400, "malformed HTTP request");
    co_return Read::refused;
  }
  co_return Read::request;
}

asio::awaitable<bool> HttpServer::Impl::write_response(beast::tcp_stream& stream,
                                                       ServerResponse out, unsigned version,
                                                       bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(out.status), version};
  for (const auto& [k, v] : out.headers)
    res.set(k, v);
  res.body() = std::move(out.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  stream.expires_after(opt.write_timeout);
  beast::error_code ec;
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && keep_alive;
}

// One connection: read a request, call the handler, write the response, until the client
// closes, a keep-alive ends, or a request cannot be trusted.
asio::awaitable<void> HttpServer::Impl::serve(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  std::string peer;
  {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) peer = ep.address().to_string() + ":" + std::to_string(ep.port());
    stream.socket().set_option(tcp::no_delay(true), ec);
  }
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
    parser.body_limit(opt.max_body_bytes);
    // The first request must arrive within the header timeout; a kept-alive connection may
    // sit idle for longer between requests.
    stream.expires_after(first ? opt.header_timeout : opt.idle_timeout);
    first = false;
    ServerResponse refusal;
    auto read = co_await read_request(stream, buffer, parser, refusal);
    if (read == Read::closed) break;
    if (read == Read::refused) {  // answer, then close: the rest of the request cannot be trusted
      co_await write_response(stream, std::move(refusal), 11, false);
      co_await linger(stream);
      break;
    }
    auto& msg = parser.get();
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    ServerRequest req = to_server_request(msg, peer);
    stream.expires_never();
    ServerResponse out = co_await call_handler(std::move(req));
    if (out.stream) {
      co_await write_stream(stream, out);
      break;
    }
    if (!co_await write_response(stream, std::move(out), version, keep_alive)) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // EMFILE and friends: keep accepting
    auto exec = socket.get_executor();
    asio::co_spawn(exec, serve(beast::tcp_stream(std::move(socket))), asio::detached);
  }
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
  impl_->workers.join();
}

void HttpServer::listen() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) throw std::runtime_error("listen: bad host '" + impl_->opt.host + "': " + ec.message());
  tcp::endpoint ep(address, impl_->opt.port);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("listen on " + impl_->opt.host + ":" +
                             std::to_string(impl_->opt.port) + ": " + ec.message());
}

uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run(bool handle_signals) {
  auto& ioc = impl_->ioc;
  asio::co_spawn(ioc, impl_->accept_loop(), asio::detached);
  std::optional<asio::signal_set> signals;
  if (handle_signals) {
    signals.emplace(ioc, SIGINT, SIGTERM);
    signals->async_wait([this](const beast::error_code& ec, int) {
      if (!ec) stop();
    });
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->opt.io_threads; ++i)
    threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads)
    t.join();
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->ioc.stop();
  });
}

}  // namespace cove::net
