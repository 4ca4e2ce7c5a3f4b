#include "runtime/api/server.hpp"

#include <chrono>

#include "base/log.hpp"
#include "runtime/api/daemon_info.hpp"
#include "runtime/api/routes.hpp"
#include "runtime/api/unsupported.hpp"
#include "runtime/domain/field_error.hpp"

namespace cove::api {

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

net::ServerResponse json_response(int status, const json& body, const std::string& request_id) {
  net::ServerResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.headers.emplace_back("request-id", request_id);
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// "GET /v1/sessions 200 3 ms req_…": the path without its query (which could carry values
// a client did not mean to log), control characters replaced so a line stays one line. For
// an event stream, the time it took to open it.
void log_request(const net::ServerRequest& req, int status, const std::string& request_id,
                 std::chrono::steady_clock::time_point started) {
  std::string_view target = req.target;
  std::string path(target.substr(0, target.find('?')));
  for (char& c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  log::write(log::Level::info, req.method + " " + path + " " + std::to_string(status) + " " +
                                   std::to_string(ms) + " ms " + request_id);
}

net::ServerResponse error_response(const ApiError& e, const std::string& request_id) {
  json error = {{"type", e.type}, {"message", e.what()}};
  if (!e.error_code.empty()) error["details"] = {{"error_code", e.error_code}};
  auto r = json_response(
      e.status, {{"type", "error"}, {"error", error}, {"request_id", request_id}}, request_id);
  // Retrying a deterministic failure cannot help; tell the SDK not to.
  if (e.status == 409 || (e.status >= 400 && e.status < 500 && e.status != 429 && e.status != 408))
    r.headers.emplace_back("x-should-retry", "false");
  return r;
}

}  // namespace

struct Server::Impl {
  ServerOptions opt;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<sessions::EventLog> log;
  std::unique_ptr<sessions::SessionRunner> runner;
  std::unique_ptr<Services> services;
  std::vector<Route> routes;
  std::vector<std::vector<std::string_view>> patterns;
  std::unique_ptr<net::HttpServer> http;
  int recovered = 0;

  explicit Impl(ServerOptions o) : opt(std::move(o)) {
    store = store::open_sqlite_store(opt.database_path);
    log = std::make_unique<sessions::EventLog>(*store);
    runner = std::make_unique<sessions::SessionRunner>(*log, opt.runner);
    services.reset(new Services{*store, *log, *runner, opt.heartbeat_ms, {}, {}});
    recovered = runner->recover_after_restart();
    add_agent_routes(routes);
    add_environment_routes(routes);
    add_session_routes(routes);
    add_resource_routes(routes);
    add_event_routes(routes);
    add_vault_routes(routes);
    add_cove_routes(routes);
    add_exec_routes(routes);
    for (const auto& r : routes)
      patterns.push_back(split_path(r.pattern));
    net::HttpServerOptions h;
    h.host = opt.host;
    h.port = opt.port;
    h.io_threads = opt.io_threads;
    h.handler_threads = opt.handler_threads;
    h.max_body_bytes = opt.max_body_bytes;
    h.header_timeout = std::chrono::seconds(opt.header_timeout_s);
    h.idle_timeout = std::chrono::seconds(opt.idle_timeout_s);
    http = std::make_unique<net::HttpServer>(
        h, [this](net::ServerRequest& req) { return handle(req); });
    services->daemon_info = [this] { return api::daemon_info(opt, http->port()); };
  }

  ~Impl() {
    // Streams first, while the I/O context their wakers post to still exists; then the
    // server (joins the handler threads); then the store, whose writer drains its queue and
    // runs the last commit callbacks while the runner and log they call are still alive.
    log->close_all();
    http.reset();
    runner.reset();
    store.reset();
  }

  bool authorized(const net::ServerRequest& req) const {
    auto key = req.header("x-api-key");
    if (!key.empty()) return same_secret(key, opt.api_key);
    auto auth = req.header("authorization");
    constexpr std::string_view bearer = "Bearer ";
    if (auth.size() > bearer.size() && auth.substr(0, bearer.size()) == bearer)
      return same_secret(auth.substr(bearer.size()), opt.api_key);
    return false;
  }

  net::ServerResponse handle(net::ServerRequest& req) {
    auto started = std::chrono::steady_clock::now();
    std::string request_id = new_id("req");
    net::ServerResponse r = answer(req, request_id);
    if (log::enabled(log::Level::info)) log_request(req, r.status, request_id, started);
    return r;
  }

  net::ServerResponse answer(net::ServerRequest& req, const std::string& request_id) {
    try {
      return dispatch(req, request_id);
    } catch (const ApiError& e) {
      return error_response(e, request_id);
    } catch (const domain::FieldError& e) {
      // A request field that does not validate: the same 400 as bad_request gives.
      return error_response(ApiError(400, "invalid_request_error", e.what(), e.code), request_id);
    } catch (const std::exception& e) {
      // Exception texts below the API come from our own code and SQLite; they carry no
      // request values, but keep the response generic anyway.
      log::write(log::Level::error, req.method + " request " + request_id + " failed: " + e.what());
      return error_response(ApiError(500, "api_error", "internal server error"), request_id);
    }
  }

  net::ServerResponse dispatch(net::ServerRequest& req, const std::string& request_id) {
    if (!authorized(req))
      throw ApiError(401, "authentication_error",
                     "invalid or missing API key (send x-api-key or Authorization: Bearer)");
    std::string_view target = req.target;
    auto qmark = target.find('?');
    auto path = split_path(target.substr(0, qmark));
    bool path_matched = false;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const auto& pat = patterns[i];
      if (pat.size() != path.size()) continue;
      std::vector<std::string> params;
      bool ok = true;
      for (std::size_t k = 0; k < pat.size() && ok; ++k) {
        if (pat[k] == "{}")
          params.push_back(percent_decode(path[k]));
        else
          ok = pat[k] == path[k];
      }
      if (!ok) continue;
      path_matched = true;
      if (req.method != routes[i].method) continue;
      Call call{
          req, std::move(params),
          Query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1)),
          json::object()};
      if (!req.body.empty()) {
        try {
          call.body = json::parse(req.body);
        } catch (const json::parse_error&) {
          bad_request("request body is not valid JSON");
        }
        require_object(call.body, "");
      }
      Reply reply = routes[i].fn(*services, call);
      if (reply.stream) {
        net::ServerResponse r;
        r.status = 200;
        r.headers.emplace_back("content-type", "text/event-stream");
        r.headers.emplace_back("cache-control", "no-cache");
        r.headers.emplace_back("request-id", request_id);
        r.stream = std::move(reply.stream);
        return r;
      }
      return json_response(reply.status, reply.body, request_id);
    }
    if (path_matched)
      throw ApiError(405, "invalid_request_error", "method " + req.method + " not allowed here");
    if (auto message = unsupported_endpoint(req.method, target.substr(0, qmark)))
      throw ApiError(404, "not_found_error", *message);
    throw ApiError(404, "not_found_error", "no such endpoint");
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
void Server::listen() {
  impl_->http->listen();
}
uint16_t Server::port() const {
  return impl_->http->port();
}
void Server::run(bool handle_signals) {
  impl_->http->run(handle_signals);
}
void Server::stop() {
  impl_->http->stop();
}
int Server::recovered_sessions() const {
  return impl_->recovered;
}

json page_json(json data, std::optional<std::string> next_page) {
  json out = {{"data", std::move(data)}};
  out["next_page"] = next_page ? json(*next_page) : json(nullptr);
  return out;
}

Reply forward_page(Services& s, const Call& c, store::ObjectQuery q) {
  if (auto page = c.query.get("page")) q.after_pos = read_cursor(*page, false);
  bool more = false;
  auto rows = s.store.list(q, &more);
  json data = json::array();
  for (auto& r : rows)
    data.push_back(std::move(r.body));
  std::optional<std::string> next;
  if (more) next = make_cursor(rows.back().pos, false);
  return {200, page_json(std::move(data), std::move(next)), nullptr};
}

void check_commit(const store::CommitResult& result, const std::string& what,
                  const std::string& id) {
  switch (result.status) {
    case store::Status::ok:
      return;
    case store::Status::not_found:
      not_found(what, id);
    case store::Status::conflict:
      conflict(what + " " + id + ": " + result.message);
    case store::Status::failed:
      throw ApiError(500, "api_error", "the store could not commit the change");
  }
}

store::Object load(Services& s, const std::string& kind, const std::string& id,
                   const std::string& what, const std::string& error_code) {
  auto o = s.store.get(id);
  if (!o || o->kind != kind) not_found(what, id, error_code);
  return std::move(*o);
}

}  // namespace cove::api
