// The git smart-HTTP proxy a sandbox reaches at 127.0.0.1:7418. Each request for
// /<name>.git/... is forwarded to the remote that RemoteLookup gives for <name>, looked up anew
// per request, with the runtime's token added as HTTP Basic; request and response bodies are
// streamed through untouched (packs may be huge; gzip stays gzip). The token exists only in
// the upstream request: never in a message, a response or anything the sandbox sees.
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>

#include "net/url.hpp"
#include "runtime/netproxy/egress_policy.hpp"
#include "runtime/netproxy/git_route.hpp"
#include "runtime/netproxy/relay.hpp"

namespace cove::netproxy::detail {
namespace {

const std::string kWho = "cove git proxy: ";

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

struct Exchange {
  const GitRoute& route;
  std::string origin;  // scheme://host[:port] of the remote, for messages
  bool has_token = false;
  bool client_keep_alive = false;
};

// Sends the rewritten request upstream and relays the answer; true when the client
// connection may carry another request.
template <class Stream>
asio::awaitable<bool> exchange(Link& link, Stream& up,
                               http::request_parser<http::buffer_body>& parser,
                               beast::flat_buffer& buffer, const Exchange& x) {
  if (co_await continue_if_expected(link, parser)) co_return false;
  if (auto ec = co_await relay_message(link, link.client, buffer, parser, up)) {
    if (!link.closed())
      co_await respond_and_close(link, 502,
                                 kWho + "sending the request for repository " + x.route.name +
                                     " to " + x.origin + " failed: " + ec.message());
    co_return false;
  }
  beast::flat_buffer upstream_buffer = read_buffer();
  std::optional<http::response_parser<http::buffer_body>> response;
  if (auto ec = co_await read_response_head(link, up, upstream_buffer, response, false)) {
    if (!link.closed())
      co_await respond_and_close(link, 502,
                                 kWho + x.origin + " sent no valid response for repository " +
                                     x.route.name + ": " + ec.message());
    co_return false;
  }
  auto& res = response->get();
  const unsigned status = res.result_int();
  if (status == 401 || status == 403) {
    // Passed on as 403 without WWW-Authenticate: git in the sandbox must not ask for a
    // password, and the fix is the session's token, not anything typed there.
    std::string whose = x.has_token ? "the runtime's token" : "anonymous access (no token is set)";
    co_await respond_and_close(
        link, 403,
        kWho + x.origin + " refused " + whose + " for repository " + x.route.name + " (HTTP " +
            std::to_string(status) +
            "); the token may be expired, revoked or lack access: update the session's "
            "repository token (resources.update) and retry");
    co_return false;
  }
  if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
    // Passing it on would send git past the proxy, without the token; say where it points.
    std::string location(res[http::field::location]);
    location = location.substr(0, location.find('?'));
    if (location.empty()) location = "another location";
    co_await respond_and_close(link, 502,
                               kWho + x.origin + " redirects repository " + x.route.name + " to " +
                                   location + "; the session's repository URL needs updating");
    co_return false;
  }
  const bool keep_alive = x.client_keep_alive && self_delimited(*response);
  strip_hop_by_hop(res.base());
  res.erase(http::field::www_authenticate);
  res.keep_alive(keep_alive);
  auto ec = co_await relay_message(link, up, upstream_buffer, *response, link.client,
                                   status == 204 || status == 304);
  co_return !ec && keep_alive;
}

// Routes, looks up and forwards one request; true when the client connection may go on.
asio::awaitable<bool> forward(const Context& ctx, const RemoteLookup& lookup, Link& link,
                              http::request_parser<http::buffer_body>& parser,
                              beast::flat_buffer& buffer) {
  auto& req = parser.get();
  auto route = parse_git_route(req.target());
  if (!route) {
    co_await respond_and_close(link, 404,
                               kWho +
                                   "not a git smart-HTTP path; clone "
                                   "http://127.0.0.1:7418/<name>.git");
    co_return false;
  }
  if (req.method_string() != route->method()) {
    co_await respond_and_close(
        link, 405,
        kWho + std::string(route->method()) + " expected for " + std::string(req.target()));
    co_return false;
  }

  std::optional<GitRemote> remote;
  bool lookup_failed = false;
  try {
    remote = lookup(route->name);
  } catch (...) {
    lookup_failed = true;  // its message is not passed on: it could name anything
  }
  std::string problem;
  unsigned status = 502;
  net::Url url;
  std::optional<std::string> host;
  if (lookup_failed) {
    problem = "looking up repository " + route->name + " failed";
  } else if (!remote) {
    status = 404;
    problem = "this session has no repository named \"" + route->name + "\"";
  } else {
    try {
      url = net::parse_url(remote->url);
      host = normalize_host(url.host);
    } catch (const std::invalid_argument&) {
    }
    if (!host)  // the URL itself is not quoted: it might carry credentials
      problem = "the remote URL of repository " + route->name +
                " is not a valid http(s) URL without credentials";
  }
  if (problem.empty()) {
    try {
      auto endpoints = co_await resolve(*host, url.port);
      co_await connect_upstream(ctx, link, endpoints, url.origin());
      if (url.tls()) co_await start_tls(ctx, link, *host);
    } catch (const UpstreamError& e) {
      problem = "cannot reach the remote of repository " + route->name + ": " + e.what();
    }
  }
  if (!problem.empty()) {
    co_await respond_and_close(link, status, kWho + problem);
    co_return false;
  }

  Exchange x{*route, url.origin(), !remote->token.empty(), req.keep_alive()};
  req.target(upstream_target(url, *route));
  strip_hop_by_hop(req.base());
  req.erase(http::field::authorization);  // whatever the sandbox sent is never forwarded
  req.erase(http::field::cookie);
  req.set(http::field::host, url.host_header());
  req.version(11);
  req.keep_alive(false);
  if (x.has_token)
    req.set(http::field::authorization, "Basic " + base64("x-access-token:" + remote->token));
  bool again = false;  // if/else, not ?: (see relay.hpp)
  if (link.tls)
    again = co_await exchange(link, *link.tls, parser, buffer, x);
  else
    again = co_await exchange(link, link.upstream, parser, buffer, x);
  link.close_upstream();
  co_return again;
}

}  // namespace

asio::awaitable<void> serve_git_connection(const Context& ctx,
                                           std::shared_ptr<const RemoteLookup> lookup,
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
    if (!co_await forward(ctx, *lookup, *link, parser, buffer)) co_return;
  }
}

}  // namespace cove::netproxy::detail
