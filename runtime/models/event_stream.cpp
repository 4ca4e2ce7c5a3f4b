// A streamed model request over HTTP with prompt abort (see event_stream.hpp).
#include "runtime/models/event_stream.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "runtime/models/errors.hpp"
#include "runtime/models/stop_relay.hpp"

namespace cove::models {

namespace asio = boost::asio;

namespace {

constexpr std::size_t max_error_body = 64 * 1024;
constexpr std::size_t max_whole_body = 64 << 20;

ModelError interrupted(const EventStreamTarget& target) {
  return ModelError(ModelErrorKind::interrupted, target.provider + " model request interrupted");
}

// Up to `limit` bytes of the body; an error body is only quoted, so a broken one is not fatal.
Task<std::string> read_error_body(net::HttpResponseStream& stream, std::size_t limit) {
  std::string body;
  try {
    while (body.size() < limit) {
      auto piece = co_await stream.read_some();
      if (!piece) break;
      body += *piece;
    }
  } catch (const net::HttpError&) {
  }
  if (body.size() > limit) body.resize(limit);
  co_return body;
}

// After a complete reply: reads to the body's end, which normally arrives with the last event,
// so the connection goes back to the pool (a new TLS connection per turn would cost more).
// A server that keeps the body open gets a short grace and then loses the connection.
Task<void> drain_to_end(net::HttpResponseStream& stream) {
  stream.set_read_timeout(std::chrono::milliseconds(100));
  try {
    while (co_await stream.read_some()) {
    }
  } catch (const net::HttpError&) {
  }
}

// client.open() as its own coroutine whose cancellation is driven by `slot`.
Task<std::unique_ptr<net::HttpResponseStream>> open_cancellable(net::HttpClient& client,
                                                                net::HttpRequest request,
                                                                asio::cancellation_slot slot) {
  return asio::co_spawn(client.executor(), client.open(std::move(request)),
                        asio::bind_cancellation_slot(slot, asio::use_awaitable));
}

bool is_event_stream(const net::HttpResponseStream& stream) {
  auto type = stream.header("content-type").value_or("");
  return type.find("text/event-stream") != std::string_view::npos;
}

// Sends the request and waits for the response head; `cancel` aborts the wait.
Task<std::unique_ptr<net::HttpResponseStream>> open_stream(net::HttpClient& client,
                                                           net::HttpRequest request,
                                                           const EventStreamTarget& target,
                                                           const std::stop_token& stop,
                                                           asio::cancellation_slot cancel) {
  try {
    co_return co_await open_cancellable(client, std::move(request), cancel);
  } catch (const std::exception& e) {  // HttpError, or operation_aborted after a cancel
    if (stop.stop_requested()) throw interrupted(target);
    throw ModelError(ModelErrorKind::network,
                     redact(target.provider + " model request failed: " + e.what(), target.secret));
  }
}

// The body of a 200 answer into the handler; true when the handler saw the reply complete.
Task<bool> read_events(net::HttpResponseStream& stream, const EventStreamTarget& target,
                       const std::stop_token& stop, const EventStreamHandler& handler) {
  try {
    if (!is_event_stream(stream)) {
      auto body = co_await stream.read_all(max_whole_body);
      if (!handler.on_whole_body)
        throw ModelError(ModelErrorKind::server,
                         target.provider + " model server answered " +
                             std::string(stream.header("content-type").value_or("no type")) +
                             " instead of an event stream");
      handler.on_whole_body(body);
      co_return true;
    }
    net::SseParser parser;
    while (auto chunk = co_await stream.read_some()) {
      for (const auto& event : parser.feed(*chunk)) {
        if (!handler.on_event(event)) continue;
        co_await drain_to_end(stream);
        co_return true;
      }
    }
    co_return false;
  } catch (const net::HttpError& e) {
    if (stop.stop_requested()) throw interrupted(target);
    throw ModelError(
        ModelErrorKind::server,
        redact(target.provider + " model stream broke off mid-reply: " + e.what(), target.secret));
  } catch (const ModelError& e) {
    if (stop.stop_requested()) throw interrupted(target);
    throw ModelError(e.kind(), redact(e.what(), target.secret), e.status(), e.retry_after());
  }
}

}  // namespace

net::Url endpoint_url(const std::string& provider, const std::string& base_url,
                      const std::string& path) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  try {
    return net::parse_url(base + path);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(provider + " base URL '" + base_url + "': " + e.what());
  }
}

Task<bool> post_event_stream(net::HttpClient& client, net::HttpRequest request,
                             const EventStreamTarget& target, std::stop_token stop,
                             const EventStreamHandler& handler) {
  if (stop.stop_requested()) throw interrupted(target);
  asio::cancellation_signal cancel_open;
  net::HttpResponseStream* live = nullptr;
  // Before the head arrives the request is cancelled; after, its connection is closed.
  StopRelay relay(client.executor(), stop, [&] {
    if (live)
      live->abort();
    else
      cancel_open.emit(asio::cancellation_type::terminal);
  });
  auto stream = co_await open_stream(client, std::move(request), target, stop, cancel_open.slot());
  live = stream.get();
  if (stop.stop_requested()) throw interrupted(target);
  if (stream->status() != 200) {
    auto body = co_await read_error_body(*stream, max_error_body);
    if (stop.stop_requested()) throw interrupted(target);
    throw error_for_status(target.provider, stream->status(), stream->headers(), body,
                           target.secret);
  }
  co_return co_await read_events(*stream, target, stop, handler);
}

}  // namespace cove::models
