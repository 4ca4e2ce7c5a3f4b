// The egress proxy a sandbox reaches at 127.0.0.1:3128: CONNECT host:port tunnels and
// absolute-URI HTTP requests, each checked against the environment's networking policy and
// connected to the very addresses that were checked.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "net/url.hpp"
#include "runtime/netproxy/egress_policy.hpp"
#include "runtime/netproxy/relay.hpp"

namespace cove::netproxy::detail {
namespace {

using namespace asio::experimental::awaitable_operators;

const std::string kWho = "cove egress proxy: ";

// Copies bytes from `from` to `to` until end of stream (then half-closes `to`, so the other
// direction can finish) or an error (then closes the whole link).
asio::awaitable<void> pump(Link& link, tcp::socket& from, tcp::socket& to) {
  std::vector<char> buf(kChunk);
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), use_tuple);
    if (n > 0) {
      link.touch();
      auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.data(), n), use_tuple);
      if (wec) {
        link.close();
        co_return;
      }
      link.touch();
    }
    if (rec == asio::error::eof) {
      beast::error_code ignored;
      to.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (rec) {
      link.close();
      co_return;
    }
  }
}

// Resolves, checks and connects; on failure answers the client (403 or 502) and returns false.
asio::awaitable<bool> open_upstream(const Context& ctx, const NetworkPolicy& policy, Link& link,
                                    const std::string& host, uint16_t port) {
  unsigned status = 0;
  std::string reason;
  try {
    auto endpoints = co_await resolve_checked(policy, host, port);
    co_await connect_upstream(ctx, link, endpoints, host + ":" + std::to_string(port));
  } catch (const PolicyError& e) {
    status = 403;
    reason = std::string("denied: ") + e.what();
  } catch (const UpstreamError& e) {
    status = 502;
    reason = e.what();
  }
  if (status == 0) co_return true;
  co_await respond_and_close(link, status, kWho + reason);
  co_return false;
}

asio::awaitable<void> tunnel(const Context& ctx, const NetworkPolicy& policy, Link& link,
                             http::request_parser<http::buffer_body>& parser,
                             beast::flat_buffer& buffer) {
  std::string target(parser.get().target());
  auto authority = parse_authority(target);
  if (!authority) {
    co_await respond_and_close(link, 400, kWho + "CONNECT needs host:port, got \"" + target + "\"");
    co_return;
  }
  if (!co_await open_upstream(ctx, policy, link, authority->host, authority->port)) co_return;
  static constexpr char kEstablished[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  auto [ec, n] = co_await asio::async_write(
      link.client, asio::buffer(kEstablished, sizeof kEstablished - 1), use_tuple);
  if (ec) co_return;
  if (buffer.size() > 0) {  // bytes the client sent right after its CONNECT head
    auto [wec, wn] = co_await asio::async_write(link.upstream, buffer.data(), use_tuple);
    if (wec) co_return;
    buffer.consume(buffer.size());
  }
  co_await (pump(link, link.client, link.upstream) && pump(link, link.upstream, link.client));
}

// Forwards one absolute-URI request; true when the client connection may carry another.
asio::awaitable<bool> forward(const Context& ctx, const NetworkPolicy& policy, Link& link,
                              http::request_parser<http::buffer_body>& parser,
                              beast::flat_buffer& buffer) {
  auto& req = parser.get();
  const std::string target(req.target());
  const bool client_keep_alive = req.keep_alive();
  const bool head = req.method() == http::verb::head;
  if (target.empty() || target.front() == '/') {
    co_await respond_and_close(link, 400,
                               kWho +
                                   "this is a proxy: send absolute-URI requests "
                                   "(GET http://host/path) or CONNECT host:port");
    co_return false;
  }
  net::Url url;
  std::string bad;
  try {
    url = net::parse_url(target);
  } catch (const std::invalid_argument& e) {
    bad = e.what();
  }
  if (bad.empty() && url.tls()) bad = "https:// URLs go through CONNECT (set https_proxy)";
  std::optional<std::string> host;
  if (bad.empty()) host = normalize_host(url.host);
  if (bad.empty() && !host) bad = "\"" + url.host + "\" is not a valid host name";
  if (!bad.empty()) {
    co_await respond_and_close(link, 400, kWho + bad);
    co_return false;
  }
  if (!co_await open_upstream(ctx, policy, link, *host, url.port)) co_return false;

  req.target(url.target);
  strip_hop_by_hop(req.base());
  req.set(http::field::host, url.host_header());
  req.version(11);
  req.keep_alive(false);  // one upstream connection per request
  if (co_await continue_if_expected(link, parser)) co_return false;
  if (auto ec = co_await relay_message(link, link.client, buffer, parser, link.upstream)) {
    if (!link.closed())
      co_await respond_and_close(
          link, 502, kWho + "sending the request to " + *host + " failed: " + ec.message());
    co_return false;
  }

  beast::flat_buffer upstream_buffer = read_buffer();
  std::optional<http::response_parser<http::buffer_body>> response;
  if (auto ec = co_await read_response_head(link, link.upstream, upstream_buffer, response, head)) {
    if (!link.closed())
      co_await respond_and_close(link, 502,
                                 kWho + *host + " sent no valid response: " + ec.message());
    co_return false;
  }
  auto& res = response->get();
  const unsigned status = res.result_int();
  const bool keep_alive = client_keep_alive && (head || self_delimited(*response));
  strip_hop_by_hop(res.base());
  res.keep_alive(keep_alive);
  const bool header_only = head || status == 204 || status == 304;
  auto ec = co_await relay_message(link, link.upstream, upstream_buffer, *response, link.client,
                                   header_only);
  link.close_upstream();
  co_return !ec && keep_alive;
}

}  // namespace

asio::awaitable<void> serve_egress_connection(const Context& ctx,
                                              std::shared_ptr<const NetworkPolicy> policy,
                                              std::shared_ptr<Link> link) {
  beast::flat_buffer buffer = read_buffer();
  for (;;) {
    link->idle_limit(ctx.options.header_timeout);
    http::request_parser<http::buffer_body> parser;
    prepare(parser);
    auto [ec, n] = co_await http::async_read_header(link->client, buffer, parser, use_tuple);
    if (ec) {
      if (is_parse_error(ec) && !link->closed())
        co_await respond_and_close(*link, 400, kWho + "malformed request: " + ec.message());
      co_return;
    }
    link->idle_limit(ctx.options.idle_timeout);
    if (parser.get().method() == http::verb::connect) {
      co_await tunnel(ctx, *policy, *link, parser, buffer);
      co_return;
    }
    if (!co_await forward(ctx, *policy, *link, parser, buffer)) co_return;
  }
}

}  // namespace cove::netproxy::detail
