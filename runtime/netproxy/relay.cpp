// Connection plumbing shared by the proxies and fetch (see relay.hpp).
#include "runtime/netproxy/relay.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>

#include "runtime/netproxy/egress_policy.hpp"

namespace cove::netproxy::detail {

using namespace asio::experimental::awaitable_operators;

Link::Link(asio::any_io_executor strand, tcp::socket client_socket)
    : client(std::move(client_socket)), upstream(strand), executor_(strand), timer_(strand) {}

void Link::start_watchdog() {
  asio::co_spawn(executor_, watch(shared_from_this()), asio::detached);
}

asio::awaitable<void> Link::watch(std::shared_ptr<Link> self) {
  // Sleeps until the earliest moment the link could expire, then looks again: activity only
  // moves a timestamp, so busy transfers cost no timer operations.
  while (!self->closed_) {
    auto idle_end = self->last_activity_ + self->idle_limit_;
    auto wake = std::min(idle_end, self->deadline_);
    if (Clock::now() >= wake) {
      self->expired_ = true;
      self->close();
      co_return;
    }
    self->timer_.expires_at(wake);
    co_await self->timer_.async_wait(use_tuple);
  }
}

void Link::wake_watchdog() {
  timer_.cancel();
}

void Link::idle_limit(std::chrono::milliseconds limit) {
  idle_limit_ = limit;
  touch();
  wake_watchdog();  // a shorter limit must take effect now, not at the old wake-up time
}

void Link::deadline_after(std::chrono::milliseconds limit) {
  deadline_ = Clock::now() + limit;
  wake_watchdog();
}

void Link::close_upstream() {
  beast::error_code ec;
  tls.reset();
  upstream.shutdown(tcp::socket::shutdown_both, ec);
  upstream.close(ec);
}

void Link::close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  client.shutdown(tcp::socket::shutdown_both, ec);
  client.close(ec);
  upstream.shutdown(tcp::socket::shutdown_both, ec);
  upstream.close(ec);
  timer_.cancel();
}

asio::awaitable<std::vector<tcp::endpoint>> resolve(const std::string& host, uint16_t port) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
  if (ec) throw UpstreamError("cannot resolve " + host + ": " + ec.message());
  std::vector<tcp::endpoint> out;
  for (const auto& r : results)
    if (std::find(out.begin(), out.end(), r.endpoint()) == out.end()) out.push_back(r.endpoint());
  if (out.empty()) throw UpstreamError("cannot resolve " + host + ": no addresses");
  co_return out;
}

namespace {

IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  return IpAddress::v6(a.to_v6().to_bytes());
}

}  // namespace

asio::awaitable<std::vector<tcp::endpoint>> resolve_checked(const NetworkPolicy& policy,
                                                            const std::string& host,
                                                            uint16_t port) {
  if (!host_allowed(policy, host))
    throw PolicyError(host +
                      " is not in the environment's allowed_hosts (networking is \"limited\")");
  const bool literal = IpAddress::parse(host).has_value();
  auto endpoints = co_await resolve(host, port);
  const auto own = host_interface_addresses();
  std::vector<tcp::endpoint> allowed;
  std::string first_refusal;
  for (const auto& ep : endpoints) {
    IpAddress ip = to_ip(ep.address());
    auto why = address_refusal_reason(ip, own, policy.allow_private_addresses);
    if (!why) {
      allowed.push_back(ep);
    } else if (first_refusal.empty()) {
      // "10.0.0.1 is a private..." for a literal, "db resolves to 10.0.0.1, a private..."
      if (literal)
        first_refusal = ip.str() + " is " + *why;
      else
        first_refusal = host + " resolves to " + ip.str() + ", " + *why;
    }
  }
  if (allowed.empty()) throw PolicyError(first_refusal);
  co_return allowed;
}

namespace {

// Runs `op`; if it is still running after `limit`, closes `socket` (which makes it fail) and
// reports true.
template <class T>
asio::awaitable<std::pair<T, bool>> bounded(asio::awaitable<T> op, std::chrono::milliseconds limit,
                                            tcp::socket& socket) {
  asio::steady_timer timer(co_await asio::this_coro::executor, limit);
  auto expire = [&]() -> asio::awaitable<void> {
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (!ec) {
      beast::error_code ignored;
      socket.close(ignored);
    }
  };
  auto result = co_await (std::move(op) || expire());
  if (result.index() == 0) co_return std::pair<T, bool>{std::get<0>(std::move(result)), false};
  co_return std::pair<T, bool>{T{}, true};
}

}  // namespace

asio::awaitable<void> connect_upstream(const Context& ctx, Link& link,
                                       const std::vector<tcp::endpoint>& endpoints,
                                       const std::string& what) {
  std::string last = "no address to try";
  for (const auto& ep : endpoints) {
    if (link.closed()) throw UpstreamError("connecting to " + what + ": the connection was closed");
    link.close_upstream();
    auto [r, timed_out] = co_await bounded(link.upstream.async_connect(ep, use_tuple),
                                           ctx.options.connect_timeout, link.upstream);
    auto [ec] = r;
    if (!timed_out && !ec) {
      beast::error_code ignored;
      link.upstream.set_option(tcp::no_delay(true), ignored);
      link.touch();
      co_return;
    }
    last = ep.address().to_string() + ": ";
    if (timed_out)
      last += "timed out";
    else
      last += ec.message();
  }
  link.close_upstream();
  throw UpstreamError("cannot connect to " + what + " (" + last + ")");
}

asio::awaitable<void> start_tls(const Context& ctx, Link& link, const std::string& host) {
  link.tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(link.upstream, ctx.tls);
  if (!IpAddress::parse(host) && !SSL_set_tlsext_host_name(link.tls->native_handle(), host.c_str()))
    throw UpstreamError("TLS to " + host + ": cannot set the server name");
  link.tls->set_verify_mode(asio::ssl::verify_peer);
  link.tls->set_verify_callback(asio::ssl::host_name_verification(host));
  auto [r, timed_out] =
      co_await bounded(link.tls->async_handshake(asio::ssl::stream_base::client, use_tuple),
                       ctx.options.connect_timeout, link.upstream);
  auto [ec] = r;
  if (timed_out) throw UpstreamError("TLS handshake with " + host + ": timed out");
  if (ec) throw UpstreamError("TLS handshake with " + host + ": " + ec.message());
  link.touch();
}

asio::awaitable<void> respond_and_close(Link& link, unsigned status, const std::string& text) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.body() = text + "\n";
  res.prepare_payload();
  auto [wec, wn] = co_await http::async_write(link.client, res, use_tuple);
  if (wec) co_return;
  beast::error_code ec;
  link.client.shutdown(tcp::socket::shutdown_send, ec);
  // Drain for up to two seconds or 1 MiB: closing with unread bytes would send a reset that
  // can destroy the answer before the client reads it.
  std::vector<char> sink(16 * 1024);
  std::size_t drained = 0;
  auto drain = [&]() -> asio::awaitable<beast::error_code> {
    for (;;) {
      auto [rec, n] = co_await link.client.async_read_some(asio::buffer(sink), use_tuple);
      drained += n;
      if (rec || drained > (1u << 20)) co_return rec;
    }
  };
  co_await bounded(drain(), std::chrono::seconds(2), link.client);
}

asio::awaitable<beast::error_code> continue_if_expected(
    Link& link, http::request_parser<http::buffer_body>& p) {
  auto& req = p.get();
  auto expect = req[http::field::expect];
  bool wants = beast::iequals(expect, "100-continue");
  req.erase(http::field::expect);
  if (!wants || p.is_done()) co_return beast::error_code{};
  static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
  auto [ec, n] = co_await asio::async_write(
      link.client, asio::buffer(kContinue, sizeof kContinue - 1), use_tuple);
  co_return ec;
}

void strip_hop_by_hop(http::fields& fields) {
  std::vector<std::string> named;
  for (auto token : http::token_list(fields[http::field::connection]))
    named.emplace_back(token);
  for (const auto& name : named)  // never the framing: the relay keeps it
    if (!beast::iequals(name, "transfer-encoding") && !beast::iequals(name, "content-length"))
      fields.erase(name);
  for (auto f : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                 http::field::proxy_authorization, http::field::proxy_authenticate, http::field::te,
                 http::field::trailer, http::field::upgrade})
    fields.erase(f);
}

void prepare(http::request_parser<http::buffer_body>& p) {
  p.header_limit(kHeaderLimit);
  p.body_limit(boost::none);
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace cove::netproxy::detail
