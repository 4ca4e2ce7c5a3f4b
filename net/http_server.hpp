// A small HTTP/1.1 server over Boost.Beast: one coroutine per connection, keep-alive, body
// and header limits, header/idle timeouts, and long-lived streamed responses (for SSE).
// Asio and Beast stay out of this header; everything here is plain C++.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cove::net {

struct ServerRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peer;  // "ip:port"

  // The first header with this (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

// The body of a streamed response: bytes pushed from any thread are written to the client in
// order as chunks of a chunked response. Thread-safe. The connection holds one reference and
// the producer another; the stream ends when either side closes it.
class ResponseStream {
 public:
  // A stream whose queued-but-unwritten bytes may not exceed max_buffered (a client that
  // reads too slowly is disconnected rather than allowed to grow the queue without bound).
  explicit ResponseStream(std::size_t max_buffered = 8u << 20);

  // Queues bytes; false when the stream is closed (client gone or closed by the producer).
  bool push(std::string bytes);
  // Ends the response after the queued bytes are written. Idempotent.
  void close();
  bool closed() const;

  // Bytes written when nothing else was for `interval` (an SSE comment, say).
  void set_heartbeat(std::chrono::milliseconds interval, std::string bytes);

  // Used by the server's connection: takes everything queued so far.
  struct Taken {
    std::string bytes;
    bool closed = false;
  };
  Taken take();
  // Called by the server: `wake` is invoked (from any thread) whenever data or close arrive.
  void set_waker(std::function<void()> wake);
  std::chrono::milliseconds heartbeat_interval() const;
  std::string heartbeat_bytes() const;

 private:
  mutable std::mutex mu_;
  std::string queued_;
  std::size_t max_buffered_;
  bool closed_ = false;
  std::function<void()> wake_;
  std::chrono::milliseconds heartbeat_interval_{15000};
  std::string heartbeat_bytes_ = ":\n\n";
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the headers are sent at once and the body is this stream (chunked); `body` is
  // ignored and the connection closes when the stream ends.
  std::shared_ptr<ResponseStream> stream;
};

// Called on a worker thread (blocking is allowed there, the I/O threads stay free).
using HttpHandler = std::function<ServerResponse(ServerRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8420;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  int handler_threads = 64;
  std::size_t max_body_bytes = 4u << 20;  // larger bodies get 413
  std::size_t max_header_bytes = 64u << 10;
  std::chrono::seconds header_timeout{10};  // to receive a complete request head
  std::chrono::seconds idle_timeout{60};    // between requests on a kept-alive connection
  std::chrono::seconds write_timeout{30};   // per write, streams included
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; throws std::runtime_error naming the address on failure.
  void listen();
  uint16_t port() const;
  // Serves until stop() or, when handle_signals, SIGINT/SIGTERM. Blocks the caller.
  void run(bool handle_signals);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "host:port" → pair; throws std::invalid_argument on a malformed address.
std::pair<std::string, uint16_t> parse_listen_address(std::string_view address);

}  // namespace cove::net
