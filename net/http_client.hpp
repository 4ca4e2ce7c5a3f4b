// HTTP/1.1 client over Boost.Beast with C++20 coroutines. TLS via OpenSSL with the system CA
// store and host-name verification; idle connections are reused per origin; responses can be
// read whole or streamed chunk by chunk (for SSE). Redirects are refused unless allowed.
//
// Threading: an HttpClient and the streams it opens belong to one executor (an io_context
// run by one thread, or a strand); call them only from coroutines on that executor.
// Errors: every failure throws HttpError whose message names the request and the reason.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/url.hpp"

namespace cove::net {

template <class T>
using Task = boost::asio::awaitable<T>;

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header with this name.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpRequest {
  std::string method = "GET";
  Url url;
  Headers headers;  // Host, User-Agent and Content-Length are added by the client
  std::string body;
  // Longest silence allowed while waiting for the response head or body bytes. Zero means no
  // limit (long-lived event streams; the caller aborts them itself).
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};
};

enum class RedirectPolicy {
  refuse,       // a 3xx answer fails with HttpError naming the Location
  same_origin,  // follow redirects that stay on the same origin; refuse others
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  RedirectPolicy redirects = RedirectPolicy::refuse;
  int max_redirects = 5;
  std::string extra_ca_file;  // PEM file trusted in addition to the system CA store
  std::size_t max_idle_per_origin = 8;
  std::string user_agent = "cove";
};

// A response whose body is read incrementally. Destroying it after the body was read to the end
// returns the connection to the client's pool (when the server allows keep-alive).
class HttpResponseStream {
 public:
  struct Impl;
  explicit HttpResponseStream(std::shared_ptr<Impl> impl);
  ~HttpResponseStream();
  HttpResponseStream(const HttpResponseStream&) = delete;
  HttpResponseStream& operator=(const HttpResponseStream&) = delete;

  int status() const;
  const Headers& headers() const;
  std::optional<std::string_view> header(std::string_view name) const;

  // The next piece of the body as soon as bytes arrive; std::nullopt once the body is complete.
  Task<std::optional<std::string>> read_some();
  // The rest of the body; throws HttpError when it exceeds `limit` bytes.
  Task<std::string> read_all(std::size_t limit = std::size_t{256} << 20);
  // Closes the connection now; a pending read fails with HttpError "aborted". Idempotent.
  void abort();
  bool aborted() const;
  // True once the whole body has been read (the connection went back to the pool or closed).
  bool complete() const;
  // True when read_some() would not have to wait: bytes are buffered or already on the socket.
  bool has_data_ready() const;
  // Changes the read timeout for the rest of the body (zero: no limit).
  void set_read_timeout(std::chrono::milliseconds timeout);

 private:
  std::shared_ptr<Impl> impl_;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

class HttpClient {
 public:
  struct Impl;
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and returns once the response head has arrived.
  Task<std::unique_ptr<HttpResponseStream>> open(HttpRequest request);
  // Sends the request and reads the whole response.
  Task<HttpResponse> send(HttpRequest request);

  boost::asio::any_io_executor executor() const;
  // Number of idle pooled connections (for tests of connection reuse).
  std::size_t idle_connections() const;
  // Number of TCP connections opened so far.
  std::size_t connections_opened() const;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cove::net
