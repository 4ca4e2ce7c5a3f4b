// web_fetch's GET, done by the runtime under the egress policy: every hop of a redirect chain
// is checked like a proxied request, the whole exchange has one deadline, and HTML comes back
// as readable text.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include "net/url.hpp"
#include "runtime/netproxy/egress_policy.hpp"
#include "runtime/netproxy/html_text.hpp"
#include "runtime/netproxy/relay.hpp"

namespace cove::netproxy::detail {
namespace {

constexpr int kMaxRedirects = 5;

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_html(std::string_view content_type) {
  auto has = [&](std::string_view what) {
    auto it = std::search(content_type.begin(), content_type.end(), what.begin(), what.end(),
                          [](char a, char b) { return std::tolower((unsigned char)a) == b; });
    return it != content_type.end();
  };
  return has("text/html") || has("application/xhtml");
}

struct Answer {
  unsigned status = 0;
  std::string location;
  std::string content_type;
  std::string body;
  bool truncated = false;
};

// One GET on the connected (and, for https, TLS) upstream; reads at most max_bytes of the body
// (more for HTML, which shrinks once reduced to text).
template <class Stream>
asio::awaitable<Answer> get(Link& link, Stream& s, const net::Url& url, std::size_t max_bytes) {
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  req.set(http::field::host, url.host_header());
  req.set(http::field::user_agent, "cove-web-fetch");
  req.set(http::field::accept, "text/html,text/plain;q=0.9,*/*;q=0.8");
  req.set(http::field::accept_encoding, "identity");
  req.keep_alive(false);
  auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
  if (wec) throw UpstreamError("sending the request to " + url.origin() + ": " + wec.message());

  beast::flat_buffer buffer = read_buffer();
  std::optional<http::response_parser<http::buffer_body>> parser;
  if (auto ec = co_await read_response_head(link, s, buffer, parser, false))
    throw UpstreamError(url.origin() + " sent no valid response: " + ec.message());
  Answer a;
  auto& res = parser->get();
  a.status = res.result_int();
  a.location = std::string(res[http::field::location]);
  a.content_type = std::string(res[http::field::content_type]);
  if (is_redirect(a.status) && !a.location.empty()) co_return a;

  // HTML shrinks a lot once reduced to text, so more of it is read.
  const std::size_t cap = is_html(a.content_type)
                              ? std::max(max_bytes, std::min(max_bytes * 8, std::size_t{32} << 20))
                              : max_bytes;
  std::vector<char> buf(kChunk);
  while (!parser->is_done()) {
    res.body().data = buf.data();
    res.body().size = buf.size();
    auto [ec, n] = co_await http::async_read_some(s, buffer, *parser, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t got = buf.size() - res.body().size;
    const std::size_t room = cap - a.body.size();
    if (got > room) {
      a.body.append(buf.data(), room);
      a.truncated = true;
      break;
    }
    a.body.append(buf.data(), got);
    if (ec) throw UpstreamError("reading the body from " + url.origin() + ": " + ec.message());
  }
  co_return a;
}

}  // namespace

asio::awaitable<FetchResult> fetch_url(const Context& ctx, NetworkPolicy policy, std::string text,
                                       std::size_t max_bytes, std::chrono::milliseconds timeout) {
  auto link = std::make_shared<Link>(co_await asio::this_coro::executor,
                                     tcp::socket(co_await asio::this_coro::executor));
  link->idle_limit(timeout);
  link->deadline_after(timeout);
  link->start_watchdog();
  struct Closer {
    Link& link;
    ~Closer() { link.close(); }
  } closer{*link};

  net::Url url;
  try {
    url = net::parse_url(text);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("web_fetch: ") + e.what());
  }
  for (int hop = 0;; ++hop) {
    auto host = normalize_host(url.host);
    if (!host) throw std::runtime_error("web_fetch: \"" + url.host + "\" is not a valid host name");
    Answer a;
    try {
      auto endpoints = co_await resolve_checked(policy, *host, url.port);
      co_await connect_upstream(ctx, *link, endpoints, url.origin());
      if (url.tls()) co_await start_tls(ctx, *link, *host);
      if (link->tls)
        a = co_await get(*link, *link->tls, url, max_bytes);
      else
        a = co_await get(*link, link->upstream, url, max_bytes);
    } catch (const UpstreamError& e) {
      if (link->expired())
        throw std::runtime_error("web_fetch: " + url.str() + ": no answer within " +
                                 std::to_string(timeout.count()) + " ms");
      throw std::runtime_error("web_fetch: " + std::string(e.what()));
    }
    link->close_upstream();
    if (link->expired())
      throw std::runtime_error("web_fetch: " + url.str() + ": no answer within " +
                               std::to_string(timeout.count()) + " ms");
    if (is_redirect(a.status) && !a.location.empty()) {
      if (hop == kMaxRedirects)
        throw std::runtime_error("web_fetch: " + text + ": more than " +
                                 std::to_string(kMaxRedirects) + " redirects");
      try {
        url = net::resolve_url(url, a.location);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("web_fetch: bad redirect: ") + e.what());
      }
      continue;
    }
    FetchResult result;
    result.status = static_cast<int>(a.status);
    result.content_type = a.content_type;
    if (is_html(a.content_type))
      result.body = html_to_text(a.body);
    else
      result.body = std::move(a.body);
    result.truncated = truncate_utf8(result.body, max_bytes) || a.truncated;
    co_return result;
  }
}

}  // namespace cove::netproxy::detail
