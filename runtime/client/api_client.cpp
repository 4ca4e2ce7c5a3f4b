#include "runtime/client/api_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <optional>

#include "net/block_on.hpp"
#include "net/http_client.hpp"
#include "net/sse_parser.hpp"
#include "net/url.hpp"

namespace cove::client {

namespace {

std::string error_message(const net::HttpResponse& r) {
  try {
    auto body = json::parse(r.body);
    if (body.contains("error")) return body["error"].value("message", r.body);
  } catch (const json::exception&) {
  }
  return r.body.empty() ? "HTTP " + std::to_string(r.status) : r.body;
}

}  // namespace

struct ApiClient::Impl {
  std::string base;
  std::string key;
  boost::asio::io_context io;
  net::HttpClient http{io.get_executor()};
  // Touched only by handlers run on `io` (cancel_stream posts there).
  net::HttpResponseStream* open_stream = nullptr;
  bool cancelled = false;

  net::HttpRequest request(const std::string& method, const std::string& path) {
    net::HttpRequest r;
    r.method = method;
    r.url = net::parse_url(base + path);
    r.headers.push_back({"x-api-key", key});
    r.headers.push_back({"anthropic-version", "2023-06-01"});
    return r;
  }

  json call(net::HttpRequest req) {
    net::HttpResponse r;
    try {
      r = net::block_on(io, http.send(std::move(req)));
    } catch (const net::HttpError& e) {
      throw ApiClientError(e.what(), 0);
    }
    if (r.status >= 400) throw ApiClientError(error_message(r), r.status);
    return r.body.empty() ? json::object() : json::parse(r.body);
  }

  // Opens an event stream (no read timeout: a stream may be quiet for long); a refusal
  // throws with the API's error message.
  std::unique_ptr<net::HttpResponseStream> open_stream_of(net::HttpRequest req) {
    req.headers.push_back({"accept", "text/event-stream"});
    req.read_timeout = std::chrono::milliseconds(0);
    std::unique_ptr<net::HttpResponseStream> s;
    try {
      s = net::block_on(io, http.open(std::move(req)));
    } catch (const net::HttpError& e) {
      throw ApiClientError(e.what(), 0);
    }
    if (s->status() != 200) {
      auto body = net::block_on(io, s->read_all(1 << 20));
      throw ApiClientError(error_message({s->status(), {}, body}), s->status());
    }
    return s;
  }
};

ApiClient::ApiClient(std::string base_url, std::string api_key) : impl_(std::make_unique<Impl>()) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.pop_back();
  impl_->base = std::move(base_url);
  impl_->key = std::move(api_key);
}

ApiClient::~ApiClient() = default;

json ApiClient::get(const std::string& path) {
  return impl_->call(impl_->request("GET", path));
}

json ApiClient::post(const std::string& path, const json& body) {
  auto req = impl_->request("POST", path);
  req.headers.push_back({"content-type", "application/json"});
  req.body = body.dump();
  return impl_->call(std::move(req));
}

json ApiClient::del(const std::string& path) {
  return impl_->call(impl_->request("DELETE", path));
}

bool ApiClient::reachable() {
  try {
    get("/v1/agents?limit=1");
    return true;
  } catch (const ApiClientError& e) {
    return e.status() != 0;
  }
}

void ApiClient::stream(const std::string& session_id, const std::function<void()>& after_open,
                       const std::function<bool(const json& event)>& on_event) {
  stream(
      session_id, StreamOptions{},
      [&] {
        after_open();
        return true;
      },
      [&](const json& event, int64_t) { return on_event(event); });
}

void ApiClient::stream(const std::string& session_id, const StreamOptions& options,
                       const std::function<bool()>& after_open,
                       const std::function<bool(const json& event, int64_t seq)>& on_event) {
  std::string path = "/v1/sessions/" + session_id + "/events/stream";
  if (options.previews) path += "?event_deltas%5B%5D=agent.message";
  auto req = impl_->request("GET", path);
  if (options.resume_after)
    req.headers.push_back({"last-event-id", std::to_string(*options.resume_after)});
  auto s = impl_->open_stream_of(std::move(req));
  impl_->open_stream = s.get();
  struct Forget {
    Impl& impl;
    ~Forget() { impl.open_stream = nullptr; }
  } forget{*impl_};
  if (!after_open()) {
    s->abort();
    return;
  }
  net::SseParser parser;
  int64_t seq = options.resume_after.value_or(0);
  for (;;) {
    std::optional<std::string> chunk;
    try {
      if (impl_->cancelled) return;
      chunk = net::block_on(impl_->io, s->read_some());
    } catch (const net::HttpError& e) {
      if (impl_->cancelled) return;
      throw ApiClientError(std::string("event stream broke: ") + e.what(), 0);
    }
    if (!chunk) return;
    for (const auto& ev : parser.feed(*chunk)) {
      if (ev.type.empty() || ev.type == "ping") continue;
      json event;
      try {
        event = json::parse(ev.data);
      } catch (const json::exception&) {
        continue;
      }
      int64_t id = 0;
      auto [end, ec] = std::from_chars(ev.id.data(), ev.id.data() + ev.id.size(), id);
      if (!ev.id.empty() && ec == std::errc() && end == ev.id.data() + ev.id.size()) seq = id;
      if (!on_event(event, seq)) {
        s->abort();
        return;
      }
    }
  }
}

void ApiClient::post_stream(
    const std::string& path, const json& body,
    const std::function<void(const std::string& type, const json& data)>& on_event) {
  auto req = impl_->request("POST", path);
  req.headers.push_back({"content-type", "application/json"});
  req.body = body.dump();
  auto s = impl_->open_stream_of(std::move(req));
  net::SseParser parser;
  for (;;) {
    std::optional<std::string> chunk;
    try {
      chunk = net::block_on(impl_->io, s->read_some());
    } catch (const net::HttpError& e) {
      throw ApiClientError(std::string("the stream broke: ") + e.what(), 0);
    }
    if (!chunk) return;
    for (const auto& ev : parser.feed(*chunk)) {
      if (ev.type.empty() || ev.type == "ping") continue;
      try {
        on_event(ev.type, json::parse(ev.data));
      } catch (const json::exception&) {
      }
    }
  }
}

void ApiClient::cancel_stream() {
  boost::asio::post(impl_->io, [impl = impl_.get()] {
    impl->cancelled = true;
    if (impl->open_stream) impl->open_stream->abort();
  });
}

}  // namespace cove::client
