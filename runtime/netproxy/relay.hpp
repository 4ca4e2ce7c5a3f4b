// Plumbing shared by the egress proxy, the git proxy and fetch (internal to runtime/netproxy;
// it includes Asio and Beast): a Link is one proxied client connection and the upstream
// connection it opened, watched for idleness; the relay functions stream HTTP messages from one
// side to the other piece by piece, never holding a whole body.
//
// GCC 12 miscompiles the conditional operator in coroutines when a branch holds a co_await or
// a temporary with a destructor (double frees): the coroutines here use if/else instead.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/netproxy/proxy.hpp"

namespace cove::netproxy::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

inline constexpr std::size_t kHeaderLimit = 64 * 1024;
inline constexpr std::size_t kChunk = 64 * 1024;

// A read buffer with room for kChunk bytes: Beast reads only as much as the buffer's free
// capacity per call, so a fresh flat_buffer would move bodies ~1 KiB per system call.
inline beast::flat_buffer read_buffer() {
  beast::flat_buffer b;
  b.reserve(kChunk);
  return b;
}

// What every proxy connection needs from the ProxyService.
struct Context {
  asio::io_context& io;
  asio::ssl::context& tls;  // client side: system CAs (+ extra_ca_file), peer verification
  ProxyOptions options;
  bool on_proxy_thread() const;
};

// The upstream could not be resolved, reached or talked to (answered as 502).
class UpstreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One client connection and its current upstream, used only from one strand. The watchdog
// closes both sockets once nothing moved for idle_limit or the deadline passed, which makes
// every pending operation on them fail at once.
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::any_io_executor strand, tcp::socket client);

  tcp::socket client;
  tcp::socket upstream;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;  // over `upstream` when it is https

  const asio::any_io_executor& executor() const { return executor_; }
  void start_watchdog();
  void touch() { last_activity_ = Clock::now(); }
  // Sets the idle limit and counts from now.
  void idle_limit(std::chrono::milliseconds limit);
  void deadline_after(std::chrono::milliseconds limit);
  void close_upstream();
  void close();  // both sides and the watchdog; idempotent
  bool closed() const { return closed_; }
  bool expired() const { return expired_; }

 private:
  static asio::awaitable<void> watch(std::shared_ptr<Link> self);
  void wake_watchdog();

  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::duration idle_limit_ = std::chrono::minutes(5);
  Clock::time_point deadline_ = Clock::time_point::max();
  bool closed_ = false;
  bool expired_ = false;
};

// Resolves host:port (host normalized, IPv6 without brackets). Throws UpstreamError.
asio::awaitable<std::vector<tcp::endpoint>> resolve(const std::string& host, uint16_t port);

// Resolves host:port and keeps only the addresses the policy lets a sandbox reach. Throws
// PolicyError when the host is not allowed or no address is left, UpstreamError when the
// name does not resolve.
asio::awaitable<std::vector<tcp::endpoint>> resolve_checked(const NetworkPolicy& policy,
                                                            const std::string& host, uint16_t port);

// Connects link.upstream to the first endpoint that accepts within the connect timeout (the
// addresses resolved and checked before: no second resolution). Throws UpstreamError naming
// `what`.
asio::awaitable<void> connect_upstream(const Context& ctx, Link& link,
                                       const std::vector<tcp::endpoint>& endpoints,
                                       const std::string& what);

// TLS over link.upstream, verifying the certificate against `host`. Throws UpstreamError.
asio::awaitable<void> start_tls(const Context& ctx, Link& link, const std::string& host);

// Answers the client with a short plain-text response and closes the connection, first
// reading (and dropping) what the client still sends for a moment, so that it sees the answer
// rather than a reset.
asio::awaitable<void> respond_and_close(Link& link, unsigned status, const std::string& text);

// "HTTP/1.1 100 Continue" to the client when it asked for it, and drops the Expect header
// (the upstream is not asked: the proxy is ready for the body).
asio::awaitable<beast::error_code> continue_if_expected(Link& link,
                                                        http::request_parser<http::buffer_body>& p);

// Removes hop-by-hop fields (Connection and what it names, Keep-Alive, Proxy-*, TE, Trailer,
// Upgrade). Transfer-Encoding stays: the relay keeps the message's framing.
void strip_hop_by_hop(http::fields& fields);

// A request parser for the client side: 64 KiB of header, any body size.
void prepare(http::request_parser<http::buffer_body>& p);

// Whether a parse error (400) rather than a transport error.
bool is_parse_error(const beast::error_code& ec);

// Writes the message whose header `parser` has read from `in` to `out`, then its body as it
// arrives, in pieces of at most kChunk bytes. Chunked bodies stay chunked (re-framed), others
// keep their Content-Length. `header_only`: a response without a body whatever its fields say
// (to HEAD, 204, 304). Returns the first read or write error.
template <bool isRequest, class In, class Out>
asio::awaitable<beast::error_code> relay_message(Link& link, In& in, beast::flat_buffer& in_buffer,
                                                 http::parser<isRequest, http::buffer_body>& parser,
                                                 Out& out, bool header_only = false) {
  http::serializer<isRequest, http::buffer_body> sr{parser.get()};
  auto [hec, hn] = co_await http::async_write_header(out, sr, use_tuple);
  if (hec) co_return hec;
  link.touch();
  if (header_only) co_return beast::error_code{};
  std::vector<char> buf(kChunk);
  auto& body = parser.get().body();
  do {
    if (!parser.is_done()) {
      body.data = buf.data();
      body.size = buf.size();
      auto [rec, rn] = co_await http::async_read_some(in, in_buffer, parser, use_tuple);
      if (rec == http::error::need_buffer) rec = {};
      if (rec) co_return rec;
      link.touch();
      std::size_t n = buf.size() - body.size;
      // An empty piece in the middle would be serialized as the last chunk: wait for bytes.
      if (n == 0 && !parser.is_done()) continue;
      body.data = n ? buf.data() : nullptr;
      body.size = n;
      body.more = !parser.is_done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    auto [wec, wn] = co_await http::async_write(out, sr, use_tuple);
    if (wec == http::error::need_buffer) wec = {};
    if (wec) co_return wec;
    link.touch();
  } while (!sr.is_done());
  co_return beast::error_code{};
}

// Reads the head of the final response (interim 1xx responses are skipped) into `parser`.
template <class Stream>
asio::awaitable<beast::error_code> read_response_head(
    Link& link, Stream& in, beast::flat_buffer& buffer,
    std::optional<http::response_parser<http::buffer_body>>& parser, bool head_request) {
  for (;;) {
    parser.emplace();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(boost::none);
    if (head_request) parser->skip(true);
    auto [ec, n] = co_await http::async_read_header(in, buffer, *parser, use_tuple);
    if (ec) co_return ec;
    link.touch();
    unsigned status = parser->get().result_int();
    if (status < 100 || status >= 200 || status == 101) co_return beast::error_code{};
  }
}

// Whether the response's body ends by its own framing (so the client connection may be
// reused), rather than by the upstream closing the connection.
inline bool self_delimited(const http::response_parser<http::buffer_body>& p) {
  return !p.need_eof();
}

// The proxies' per-connection coroutines and web_fetch's (egress_proxy.cpp, git_proxy.cpp,
// fetch.cpp). The connection ones return when the client connection is done; the caller
// closes the link.
asio::awaitable<void> serve_egress_connection(const Context& ctx,
                                              std::shared_ptr<const NetworkPolicy> policy,
                                              std::shared_ptr<Link> link);
asio::awaitable<void> serve_git_connection(const Context& ctx,
                                           std::shared_ptr<const RemoteLookup> lookup,
                                           std::shared_ptr<Link> link);
asio::awaitable<FetchResult> fetch_url(const Context& ctx, NetworkPolicy policy, std::string url,
                                       std::size_t max_bytes, std::chrono::milliseconds timeout);

}  // namespace cove::netproxy::detail
