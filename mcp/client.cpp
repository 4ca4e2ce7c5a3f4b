#include "mcp/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <map>

#include "base/version.hpp"
#include "net/sse_parser.hpp"

namespace cove::mcp {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using Kind = McpError::Kind;
using std::chrono::milliseconds;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kSmallBody = 1 << 20;
// Method names as std::string objects: g++ 12 miscompiles string literals passed directly as
// arguments of a co_await expression ("array used as initializer").
const std::string kInitialize = "initialize";
const std::string kInitialized = "notifications/initialized";
const std::string kCancelled = "notifications/cancelled";
const std::string kToolsList = "tools/list";
const std::string kToolsCall = "tools/call";
const std::string kPing = "ping";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string excerpt(const std::string& body) {
  std::string out = body.substr(0, 300);
  for (auto& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return body.size() > 300 ? out + "…" : out;
}

// A request in flight: where its reply lands, whichever stream carries it.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex)
      : signal(ex, asio::steady_timer::time_point::max()), deadline(ex), sleeper(ex) {}

  std::int64_t id = 0;
  std::string method;
  std::optional<json> reply;
  std::optional<McpError> failure;
  std::function<void(const Progress&)> on_progress;
  asio::steady_timer signal;    // cancelled when the request settles
  asio::steady_timer deadline;  // the per-call timeout
  asio::steady_timer sleeper;   // waits between resume attempts
  net::HttpResponseStream* active = nullptr;

  bool settled() const { return reply || failure; }
  void settle(json message) {
    if (settled()) return;
    reply = std::move(message);
    signal.cancel();
  }
  // Ends the request now: wakes its waiter and closes the stream it is reading.
  void fail(McpError error) {
    if (settled()) return;
    failure = std::move(error);
    signal.cancel();
    sleeper.cancel();
    if (active) active->abort();
  }
};

// Marks the stream a request is currently reading, so a timeout or cancel can close it.
class ActiveStream {
 public:
  ActiveStream(Pending& p, net::HttpResponseStream* s) : p_(p) { p_.active = s; }
  ~ActiveStream() { p_.active = nullptr; }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  Pending& p_;
};

// Reads what is left of a reply stream in the background so its connection can be reused.
Task<void> drain(std::unique_ptr<net::HttpResponseStream> s) {
  try {
    while (co_await s->read_some()) {
    }
  } catch (const net::HttpError&) {
  }
}

Task<void> discard_body(net::HttpResponseStream& s) {
  try {
    co_await s.read_all(kSmallBody);
  } catch (const net::HttpError&) {
  }
}

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  Impl(asio::any_io_executor executor, ServerConfig config)
      : ex(executor),
        cfg(std::move(config)),
        url(net::parse_url(cfg.url)),
        http(executor, cfg.http),
        stream_timer(executor) {
    if (cfg.client_info.version.empty()) cfg.client_info.version = cove::version();
  }

  asio::any_io_executor ex;
  ServerConfig cfg;
  net::Url url;
  net::HttpClient http;
  ServerInfo info;
  std::string session_id;
  std::string negotiated;
  std::size_t generation = 0;
  std::int64_t next_id = 1;
  std::map<std::int64_t, std::shared_ptr<Pending>> pending;
  bool connected = false;
  bool closed = false;
  bool legacy = false;
  bool event_stream_running = false;
  net::Url legacy_post_url;
  net::HttpResponseStream* background = nullptr;  // GET stream or legacy SSE stream
  asio::steady_timer stream_timer;
  std::function<void()> tools_changed;
  std::function<void(const json&)> notification;

  std::string where() const {
    if (cfg.name.empty()) return "MCP server " + url.str();
    return "MCP server '" + cfg.name + "' (" + url.str() + ")";
  }

  net::Headers headers(const char* accept) const {
    net::Headers h = cfg.headers;
    h.push_back({"Accept", accept});
    if (!cfg.bearer_token.empty()) h.push_back({"Authorization", "Bearer " + cfg.bearer_token});
    if (!session_id.empty()) h.push_back({"Mcp-Session-Id", session_id});
    if (!negotiated.empty() && !legacy) h.push_back({"MCP-Protocol-Version", negotiated});
    return h;
  }

  Task<std::unique_ptr<net::HttpResponseStream>> post(const json& message, milliseconds timeout) {
    net::HttpRequest req;
    req.method = "POST";
    req.url = legacy ? legacy_post_url : url;
    req.headers = headers("application/json, text/event-stream");
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = message.dump();
    req.read_timeout = timeout;
    co_return co_await http.open(std::move(req));
  }

  Task<std::unique_ptr<net::HttpResponseStream>> get_stream(const net::SseParser* resume_from,
                                                            milliseconds timeout) {
    net::HttpRequest req;
    req.method = "GET";
    req.url = url;
    req.headers = headers("text/event-stream");
    if (resume_from && resume_from->has_event_id())
      req.headers.push_back({"Last-Event-ID", resume_from->last_event_id()});
    req.read_timeout = timeout;
    co_return co_await http.open(std::move(req));
  }

  // Throws for 401/403 (credentials) and any other non-2xx answer.
  Task<void> check_status(net::HttpResponseStream& s, const std::string& what) {
    int status = s.status();
    if (status == 401 || status == 403) {
      std::string msg = where() + " refused the credentials for " + what + ": HTTP " +
                        std::to_string(status) + (status == 401 ? " Unauthorized" : " Forbidden");
      if (cfg.bearer_token.empty()) msg += " (no bearer token was configured)";
      if (auto challenge = s.header("WWW-Authenticate"))
        msg += "; WWW-Authenticate: " + std::string(*challenge);
      co_await discard_body(s);
      throw McpError(Kind::auth, msg, status)
          .with_brief(where() + " refused the credentials for " + what + " (HTTP " +
                      std::to_string(status) + ")");
    }
    if (status >= 300) {
      std::string body;
      try {
        body = co_await s.read_all(64 * 1024);
      } catch (const net::HttpError&) {
      }
      std::string reason = excerpt(body);
      json j = json::parse(body, nullptr, false);
      if (j.is_object() && j.contains("error") && j["error"].is_object())
        reason = j["error"].value("message", reason);
      throw McpError(Kind::transport,
                     where() + ": " + what + " answered HTTP " + std::to_string(status) +
                         (reason.empty() ? "" : ": " + reason),
                     status)
          .with_brief(where() + ": " + what + " failed with HTTP status " + std::to_string(status) +
                      "; is this an MCP server URL?");
    }
  }

  void dispatch(const json& m) {
    if (!m.is_object() || m.value("jsonrpc", "") != "2.0") return;  // e.g. "{}" from replays
    auto method = m.find("method");
    if (method == m.end()) {
      auto id = m.find("id");
      if (id == m.end() || !id->is_number_integer()) return;
      if (auto it = pending.find(id->get<std::int64_t>()); it != pending.end())
        it->second->settle(m);
      return;  // a late or replayed reply: dropped
    }
    if (!method->is_string()) return;
    const std::string name = *method;
    if (m.contains("id")) {
      answer_server_request(m, name);
      return;
    }
    try {
      if (name == "notifications/progress") {
        const json& params = m.value("params", json::object());
        auto token = params.find("progressToken");
        if (token == params.end() || !token->is_number_integer()) return;
        auto it = pending.find(token->get<std::int64_t>());
        if (it == pending.end() || !it->second->on_progress) return;
        Progress p;
        p.progress = params.value("progress", 0.0);
        if (params.contains("total") && params["total"].is_number()) p.total = params["total"];
        p.message = params.value("message", "");
        it->second->on_progress(p);
      } else if (name == "notifications/tools/list_changed") {
        if (tools_changed) tools_changed();
      } else if (notification) {
        notification(m);
      }
    } catch (const std::exception&) {
      // A malformed notification or a failing callback must not break the stream.
    }
  }

  // The server asked us something: answer ping, refuse the rest (we declare no capabilities).
  void answer_server_request(const json& m, const std::string& name) {
    json reply = {{"jsonrpc", "2.0"}, {"id", m["id"]}};
    if (name == "ping") {
      reply["result"] = json::object();
    } else if (name == "elicitation/create" && cfg.on_elicitation) {
      try {
        reply["result"] = cfg.on_elicitation(m.value("params", json::object()));
      } catch (const std::exception& e) {
        reply["error"] = {{"code", -32603}, {"message", e.what()}};
      }
    } else
      reply["error"] = {{"code", -32601}, {"message", "Method not found: " + name}};
    asio::co_spawn(ex, send_reply(shared_from_this(), std::move(reply)), asio::detached);
  }

  static Task<void> send_reply(std::shared_ptr<Impl> self, json reply) {
    try {
      auto s = co_await self->post(reply, 10s);
      co_await discard_body(*s);
    } catch (const net::HttpError&) {
    }
  }

  void handle_event(const net::SseEvent& ev) {
    if (!ev.type.empty() && ev.type != "message") return;
    if (ev.data.empty()) return;  // priming event: only its id matters
    json m = json::parse(ev.data, nullptr, false);
    if (!m.is_discarded()) dispatch(m);
  }

  // Dispatches events until `p` settles (true) or the stream ends (false).
  Task<bool> read_events(net::HttpResponseStream& s, net::SseParser& parser, Pending* p) {
    while (!(p && p->settled())) {
      auto chunk = co_await s.read_some();
      if (!chunk) co_return false;
      for (const auto& ev : parser.feed(*chunk))
        handle_event(ev);
    }
    co_return true;
  }

  // After the reply: finish the stream now if its end is already here (the usual case, and it
  // frees the connection for the next request), else in the background.
  Task<void> finish_stream(std::unique_ptr<net::HttpResponseStream> s) {
    try {
      while (!s->complete() && s->has_data_ready())
        co_await s->read_some();
    } catch (const net::HttpError&) {
      co_return;
    }
    if (s->complete()) co_return;
    s->set_read_timeout(5s);
    asio::co_spawn(ex, drain(std::move(s)), asio::detached);
  }

  // Longest silence on a reply stream: past it the stream counts as broken and is resumed.
  milliseconds http_timeout(milliseconds call_timeout) const {
    if (cfg.stream_idle_timeout.count() > 0)
      return std::min(cfg.stream_idle_timeout, call_timeout + 200ms);
    return call_timeout + 200ms;
  }

  // Sends `message` and reads until its reply arrives, on whichever stream.
  Task<void> exchange(std::shared_ptr<Pending> p, const json& message, milliseconds timeout,
                      bool may_reinit) {
    bool reinit_allowed = may_reinit && !legacy;
    while (!p->settled()) {
      const std::size_t gen = generation;
      const bool had_session = !session_id.empty();
      auto s = co_await post(message, http_timeout(timeout));
      ActiveStream mark(*p, s.get());
      const int status = s->status();
      if (reinit_allowed && had_session && (status == 404 || status == 400)) {
        // The session expired (404; some servers say 400): initialize again, once, and retry.
        co_await discard_body(*s);
        reinit_allowed = false;
        if (gen == generation) co_await initialize();
        continue;
      }
      co_await check_status(*s, p->method);
      if (p->method == "initialize")
        if (auto sid = s->header("Mcp-Session-Id")) session_id = std::string(*sid);
      if (legacy || status == 202) {  // the reply comes on the background stream
        co_await discard_body(*s);
        while (!p->settled())
          co_await p->signal.async_wait(use_tuple);
        break;
      }
      const std::string type(s->header("Content-Type").value_or(""));
      if (starts_with(type, "text/event-stream")) {
        net::SseParser parser;
        try {
          if (co_await read_events(*s, parser, p.get())) {
            co_await finish_stream(std::move(s));
            break;
          }
        } catch (const net::HttpError&) {
          if (p->failure) throw;
          // A broken stream is resumed like one the server ended early.
        }
        p->active = nullptr;  // before the stream goes: a timeout must not touch it
        s.reset();
        co_await resume(p, parser, timeout);
      } else if (starts_with(type, "application/json")) {
        std::string body = co_await s->read_all();
        json m = json::parse(body, nullptr, false);
        if (m.is_discarded())
          throw McpError(Kind::transport,
                         where() + ": " + p->method + ": reply is not JSON: " + excerpt(body))
              .with_brief(where() + ": " + p->method + ": the reply is not JSON");
        dispatch(m);
        if (!p->settled())
          throw McpError(Kind::transport,
                         where() + ": " + p->method + ": the JSON reply did not answer it");
      } else {
        throw McpError(Kind::transport, where() + ": " + p->method +
                                            ": unexpected reply Content-Type '" + type + "'")
            .with_brief(where() + ": " + p->method +
                        ": the reply is neither JSON nor an event stream");
      }
    }
  }

  // The reply stream ended early: reconnect by GET with Last-Event-ID, honouring retry:.
  Task<void> resume(std::shared_ptr<Pending> p, net::SseParser& parser, milliseconds timeout) {
    for (int attempt = 0; attempt < cfg.max_resume_attempts && !p->settled(); ++attempt) {
      if (!parser.has_event_id())
        throw McpError(Kind::transport, where() + ": the reply stream for " + p->method +
                                            " ended before the reply, with no event id to "
                                            "resume from");
      milliseconds delay = parser.retry_ms()
                               ? milliseconds(*parser.retry_ms())
                               : milliseconds(static_cast<long>(1000 * std::pow(1.5, attempt)));
      p->sleeper.expires_after(delay);
      co_await p->sleeper.async_wait(use_tuple);
      if (p->settled()) break;
      auto s = co_await get_stream(&parser, http_timeout(timeout));
      ActiveStream mark(*p, s.get());
      co_await check_status(*s, p->method + " (resuming its stream)");
      if (!starts_with(s->header("Content-Type").value_or(""), "text/event-stream"))
        throw McpError(Kind::transport,
                       where() + ": resuming " + p->method + ": the server did not send a stream");
      try {
        if (co_await read_events(*s, parser, p.get())) {
          co_await finish_stream(std::move(s));
          co_return;
        }
      } catch (const net::HttpError&) {
        if (p->failure) throw;
      }
    }
    if (!p->settled())
      throw McpError(Kind::transport, where() + ": the reply stream for " + p->method +
                                          " broke and could not be resumed");
  }

  Task<json> call(const std::string& method, json params, const CallOptions& options,
                  bool may_reinit = true) {
    auto self = shared_from_this();
    auto p = std::make_shared<Pending>(ex);
    p->id = next_id++;
    p->method = method;
    json message = {{"jsonrpc", "2.0"}, {"id", p->id}, {"method", method}};
    if (options.on_progress) {
      if (!params.is_object()) params = json::object();
      params["_meta"]["progressToken"] = p->id;
      p->on_progress = options.on_progress;
    }
    if (!params.is_null()) message["params"] = std::move(params);
    const milliseconds timeout = options.timeout.value_or(cfg.request_timeout);
    pending[p->id] = p;
    p->deadline.expires_after(timeout);
    p->deadline.async_wait([p, what = where(), timeout](boost::system::error_code ec) {
      if (!ec)
        p->fail(McpError(Kind::timeout, what + ": " + p->method + " timed out after " +
                                            std::to_string(timeout.count()) + " ms"));
    });
    std::optional<std::stop_callback<std::function<void()>>> on_stop;
    if (options.stop.stop_possible()) {
      std::weak_ptr<Pending> weak = p;
      on_stop.emplace(
          options.stop, std::function<void()>([weak, ex = ex, what = where()] {
            asio::post(ex, [weak, what] {
              if (auto p = weak.lock())
                p->fail(McpError(Kind::cancelled, what + ": " + p->method + " was cancelled"));
            });
          }));
    }

    std::optional<McpError> error;
    try {
      co_await exchange(p, message, timeout, may_reinit);
    } catch (const McpError& e) {
      error = e;
    } catch (const net::HttpError& e) {
      error = McpError(Kind::transport, where() + ": " + method + ": " + e.what());
    }
    if (p->failure) error = p->failure;
    on_stop.reset();
    p->deadline.cancel();
    pending.erase(p->id);
    if (error) {
      if ((error->kind() == Kind::timeout || error->kind() == Kind::cancelled) &&
          method != "initialize") {
        json params = {{"requestId", p->id}, {"reason", std::string(error->what())}};
        try {
          co_await notify(kCancelled, std::move(params));
        } catch (const McpError&) {
        }
      }
      throw *error;
    }
    const json& reply = *p->reply;
    if (auto e = reply.find("error"); e != reply.end()) {
      int code = e->is_object() ? e->value("code", 0) : 0;
      std::string msg = e->is_object() ? e->value("message", "") : e->dump();
      throw McpError(Kind::protocol,
                     where() + ": " + method + " failed: " + msg + " (JSON-RPC error " +
                         std::to_string(code) + ")",
                     code, e->is_object() ? e->value("data", json()) : json());
    }
    co_return reply.value("result", json::object());
  }

  Task<void> notify(const std::string& method, json params) {
    json message = {{"jsonrpc", "2.0"}, {"method", method}};
    if (!params.is_null()) message["params"] = std::move(params);
    try {
      auto s = co_await post(message, 30s);
      co_await check_status(*s, method);
      co_await discard_body(*s);
    } catch (const net::HttpError& e) {
      throw McpError(Kind::transport, where() + ": " + method + ": " + e.what());
    }
  }

  Task<void> initialize() {
    session_id.clear();
    negotiated.clear();
    json params = {
        {"protocolVersion", cfg.protocol_version},
        {"capabilities", json::object()},
        {"clientInfo", {{"name", cfg.client_info.name}, {"version", cfg.client_info.version}}}};
    if (!cfg.client_info.title.empty()) params["clientInfo"]["title"] = cfg.client_info.title;
    if (cfg.on_elicitation) params["capabilities"]["elicitation"] = json::object();
    json result;
    std::optional<McpError> streamable_failure;
    try {
      result = co_await call(kInitialize, params, {}, false);
    } catch (const McpError& e) {
      const int s = e.code();
      if (e.kind() != Kind::transport || legacy || !cfg.allow_legacy_sse ||
          !(s == 400 || s == 404 || s == 405))
        throw;
      streamable_failure = e;
    }
    if (streamable_failure) {  // 400/404/405: maybe a 2024-11-05 HTTP+SSE server
      bool opened = false;
      try {
        co_await open_legacy();
        opened = true;
      } catch (const McpError&) {
      }
      if (!opened) throw *streamable_failure;  // the streamable HTTP answer explains more
      result = co_await call(kInitialize, params, {}, false);
    }
    const std::string version = result.value("protocolVersion", "");
    if (!is_supported_protocol_version(version))
      throw McpError(Kind::version, where() + " answered protocol version '" + version +
                                        "', which this client does not support");
    negotiated = version;
    info = ServerInfo{};
    info.protocol_version = version;
    info.capabilities = result.value("capabilities", json::object());
    info.instructions = result.value("instructions", "");
    info.legacy_sse_transport = legacy;
    if (auto si = result.find("serverInfo"); si != result.end() && si->is_object()) {
      info.implementation.name = si->value("name", "");
      info.implementation.version = si->value("version", "");
      info.implementation.title = si->value("title", "");
    }
    ++generation;
    co_await notify(kInitialized, nullptr);
    // After a re-initialization the old session's event stream is gone: open a new one.
    if (connected) {
      // A new session: its event stream must be opened now (notifications sent while there is
      // none are lost), and its tool set may differ, so callers should list the tools again.
      stream_timer.cancel();
      start_event_stream();
      if (tools_changed) tools_changed();
    }
  }

  void start_event_stream() {
    if (!cfg.open_event_stream || legacy || closed || event_stream_running) return;
    event_stream_running = true;
    asio::co_spawn(ex, run_event_stream(shared_from_this()), asio::detached);
  }

  // The 2024-11-05 transport: a GET stream whose first event names the URL to POST to.
  Task<void> open_legacy() {
    std::unique_ptr<net::HttpResponseStream> s;
    try {
      s = co_await get_stream(nullptr, cfg.request_timeout);
    } catch (const net::HttpError& e) {
      throw McpError(Kind::transport, where() + ": HTTP+SSE fallback: " + e.what());
    }
    const std::string what = "initialize (HTTP+SSE fallback)";
    co_await check_status(*s, what);
    if (!starts_with(s->header("Content-Type").value_or(""), "text/event-stream"))
      throw McpError(Kind::transport, where() + ": neither streamable HTTP nor HTTP+SSE");
    net::SseParser parser;
    bool found = false;
    while (!found) {
      std::optional<std::string> chunk;
      try {
        chunk = co_await s->read_some();
      } catch (const net::HttpError& e) {
        throw McpError(Kind::transport, where() + ": HTTP+SSE fallback: " + e.what());
      }
      if (!chunk)
        throw McpError(Kind::transport, where() + ": HTTP+SSE stream ended without an endpoint");
      for (const auto& ev : parser.feed(*chunk)) {
        if (!found && ev.type == "endpoint") {
          legacy_post_url = net::resolve_url(url, ev.data);
          if (legacy_post_url.origin() != url.origin())
            throw McpError(Kind::transport, where() +
                                                ": HTTP+SSE endpoint on another origin refused: " +
                                                legacy_post_url.origin());
          found = true;
        } else if (found) {
          handle_event(ev);
        }
      }
    }
    legacy = true;
    s->set_read_timeout(0ms);
    asio::co_spawn(ex, read_legacy_stream(shared_from_this(), std::move(s), std::move(parser)),
                   asio::detached);
  }

  static Task<void> read_legacy_stream(std::shared_ptr<Impl> self,
                                       std::unique_ptr<net::HttpResponseStream> s,
                                       net::SseParser parser) {
    self->background = s.get();
    try {
      co_await self->read_events(*s, parser, nullptr);
    } catch (const net::HttpError&) {
    }
    self->background = nullptr;
    // Every reply travels on this stream: without it, nothing in flight can finish.
    for (auto& [id, p] : self->pending)
      p->fail(McpError(Kind::transport, self->where() + ": the HTTP+SSE stream closed"));
  }

  // The standalone GET stream: list_changed and other server messages. 405 means none.
  static Task<void> run_event_stream(std::shared_ptr<Impl> self) {
    co_await self->event_stream_loop();
    self->event_stream_running = false;
  }

  Task<void> event_stream_loop() {
    auto self = shared_from_this();
    net::SseParser parser;
    std::size_t session = generation;
    int failures = 0;
    while (!self->closed && failures < 3) {
      if (session != generation) parser = net::SseParser{};  // new session: nothing to resume
      session = generation;
      try {
        auto s = co_await self->get_stream(&parser, 30s);
        if (s->status() != 200 ||
            !starts_with(s->header("Content-Type").value_or(""), "text/event-stream")) {
          // Refused for a session that was replaced meanwhile: try again with the new one.
          if (session != generation) continue;
          co_return;  // 405 (stateless servers), 404 (expired; the next call re-initializes and
                      // reopens it), 409, …: carry on without it
        }
        s->set_read_timeout(0ms);
        self->background = s.get();
        co_await self->read_events(*s, parser, nullptr);
        failures = 0;
      } catch (const net::HttpError&) {
        ++failures;
      }
      self->background = nullptr;
      if (self->closed) break;
      self->stream_timer.expires_after(milliseconds(parser.retry_ms().value_or(1000)));
      co_await self->stream_timer.async_wait(use_tuple);
    }
  }

  void stop_background() {
    closed = true;
    stream_timer.cancel();
    if (background) background->abort();
  }
};

Client::Client(asio::any_io_executor executor, ServerConfig config)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(config))) {}

Client::~Client() {
  impl_->stop_background();
  for (auto& [id, p] : impl_->pending)
    p->fail(McpError(Kind::cancelled, impl_->where() + ": client destroyed"));
}

Task<ServerInfo> Client::connect() {
  auto self = impl_;
  if (!self->connected) {
    co_await self->initialize();
    self->connected = true;
    self->start_event_stream();
  }
  co_return self->info;
}

Task<ToolPage> Client::list_tools_page(std::optional<std::string> cursor) {
  auto self = impl_;
  json params = json::object();
  if (cursor) params["cursor"] = *cursor;
  json result = co_await self->call(kToolsList, std::move(params), {});
  ToolPage page;
  try {
    for (const auto& t : result.value("tools", json::array()))
      page.tools.push_back(t.get<Tool>());
  } catch (const std::exception& e) {
    throw McpError(Kind::transport, self->where() + ": tools/list: malformed result: " + e.what());
  }
  if (auto next = result.find("nextCursor"); next != result.end() && next->is_string())
    page.next_cursor = next->get<std::string>();
  co_return page;
}

Task<std::vector<Tool>> Client::list_tools() {
  std::vector<Tool> tools;
  std::optional<std::string> cursor;
  for (int pages = 0;; ++pages) {
    if (pages == 10000)
      throw McpError(Kind::transport, impl_->where() + ": tools/list: too many pages");
    ToolPage page = co_await list_tools_page(cursor);
    for (auto& t : page.tools)
      tools.push_back(std::move(t));
    if (!page.next_cursor) break;
    if (cursor == page.next_cursor)
      throw McpError(Kind::transport, impl_->where() + ": tools/list repeated its cursor");
    cursor = std::move(page.next_cursor);
  }
  co_return tools;
}

Task<ToolResult> Client::call_tool(std::string name, json arguments, CallOptions options) {
  auto self = impl_;
  if (arguments.is_null()) arguments = json::object();
  json params = {{"name", name}, {"arguments", std::move(arguments)}};
  json result = co_await self->call(kToolsCall, std::move(params), options);
  try {
    co_return result.get<ToolResult>();
  } catch (const std::exception& e) {
    throw McpError(Kind::transport,
                   self->where() + ": tools/call " + name + ": malformed result: " + e.what());
  }
}

Task<void> Client::ping(CallOptions options) {
  auto self = impl_;
  co_await self->call(kPing, nullptr, options);
}

Task<json> Client::request(std::string method, json params, CallOptions options) {
  auto self = impl_;
  co_return co_await self->call(method, std::move(params), options);
}

Task<void> Client::notify(std::string method, json params) {
  auto self = impl_;
  co_await self->notify(method, std::move(params));
}

Task<void> Client::close() {
  auto self = impl_;
  self->stop_background();
  if (self->session_id.empty() || self->legacy) co_return;
  net::HttpRequest req;
  req.method = "DELETE";
  req.url = self->url;
  req.headers = self->headers("application/json, text/event-stream");
  req.read_timeout = 10s;
  try {
    auto s = co_await self->http.open(std::move(req));
    co_await discard_body(*s);  // 200, 204 or 405 (no explicit end): all fine
  } catch (const net::HttpError&) {
  }
  self->session_id.clear();
}

void Client::on_tools_changed(std::function<void()> callback) {
  impl_->tools_changed = std::move(callback);
}
void Client::on_notification(std::function<void(const json&)> callback) {
  impl_->notification = std::move(callback);
}
const ServerInfo& Client::server() const {
  return impl_->info;
}
const std::string& Client::session_id() const {
  return impl_->session_id;
}
std::size_t Client::initializations() const {
  return impl_->generation;
}

}  // namespace cove::mcp
