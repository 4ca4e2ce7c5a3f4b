// MCP streamable HTTP, server side (see server.hpp).
#include "mcp/server.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "mcp/versions.hpp"

namespace cove::mcp {

using json = nlohmann::json;

namespace {

constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kServerError = -32000;
constexpr int kSessionNotFound = -32001;

json rpc_error(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json rpc_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

net::ServerResponse json_response(int status, const json& body) {
  net::ServerResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = body.dump();
  return r;
}

net::ServerResponse empty_response(int status) {
  net::ServerResponse r;
  r.status = status;
  return r;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

bool has_id(const json& message) {
  return message.contains("id") && (message["id"].is_string() || message["id"].is_number_integer());
}

bool has_method(const json& message) {
  return message.contains("method") && message["method"].is_string();
}

// Reads the body of a POST into `message`; the error response when the request or the
// message is not one this transport takes.
std::optional<net::ServerResponse> read_message(const net::ServerRequest& request, json& message) {
  if (!contains_ci(request.header("content-type"), "application/json"))
    return json_response(415, rpc_error(nullptr, kServerError,
                                        "Unsupported Media Type: Content-Type must be "
                                        "application/json"));
  auto accept = request.header("accept");
  if (!accept.empty() && !contains_ci(accept, "application/json") && !contains_ci(accept, "*/*") &&
      !contains_ci(accept, "text/event-stream"))
    return json_response(406, rpc_error(nullptr, kServerError,
                                        "Not Acceptable: Accept must allow application/json"));
  message = json::parse(request.body, nullptr, false);
  if (message.is_discarded())
    return json_response(400, rpc_error(nullptr, kParseError, "Parse error"));
  if (message.is_array())
    return json_response(400, rpc_error(nullptr, kInvalidRequest,
                                        "Invalid Request: JSON-RPC batches are not supported"));
  if (!message.is_object() || message.value("jsonrpc", "") != "2.0")
    return json_response(
        400, rpc_error(nullptr, kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message"));
  if (has_method(message) && message.contains("id") && !has_id(message))
    return json_response(400, rpc_error(nullptr, kInvalidRequest,
                                        "Invalid Request: id must be a string or an integer"));
  return std::nullopt;
}

}  // namespace

Server::Server(ServerOptions options, ToolProvider& tools, Authenticator authenticate)
    : options_(std::move(options)), tools_(tools), authenticate_(std::move(authenticate)) {}

net::ServerResponse Server::handle(const net::ServerRequest& request) {
  auto auth = authenticate_(request.header("authorization"));
  if (auth.kind != Authentication::Kind::accepted) return unauthenticated(auth.kind);
  if (request.method == "POST") return post(request, auth.caller);
  if (request.method == "DELETE") return end_session(request, auth.caller);
  auto r = json_response(
      405, rpc_error(nullptr, kServerError,
                     request.method == "GET" ? "Method Not Allowed: this server offers no stream"
                                             : "Method Not Allowed"));
  r.headers.emplace_back("allow", "POST, DELETE");
  return r;
}

net::ServerResponse Server::unauthenticated(Authentication::Kind kind) const {
  if (kind == Authentication::Kind::malformed)
    return json_response(
        400, rpc_error(nullptr, kServerError, "Bad Request: malformed Authorization header"));
  const bool missing = kind == Authentication::Kind::missing;
  auto r =
      json_response(401, rpc_error(nullptr, kServerError,
                                   missing ? "Unauthorized: a bearer token is required"
                                           : "Unauthorized: the token is unknown or was revoked"));
  std::string challenge = "Bearer realm=\"" + options_.realm + "\"";
  if (!missing) challenge += ", error=\"invalid_token\"";
  r.headers.emplace_back("www-authenticate", challenge);
  return r;
}

net::ServerResponse Server::end_session(const net::ServerRequest& request, const Caller& caller) {
  std::string id(request.header("mcp-session-id"));
  if (id.empty())
    return json_response(
        400, rpc_error(nullptr, kServerError, "Bad Request: Mcp-Session-Id header is required"));
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.credential_id != caller.credential_id)
    return json_response(404, rpc_error(nullptr, kSessionNotFound, "Session not found"));
  sessions_.erase(it);
  return empty_response(200);
}

net::ServerResponse Server::post(const net::ServerRequest& request, const Caller& caller) {
  json message;
  if (auto refusal = read_message(request, message)) return std::move(*refusal);
  if (has_method(message) && has_id(message) && message["method"] == "initialize")
    return initialize(message, caller);
  if (auto refusal = touch_session(request, message, caller)) return std::move(*refusal);
  // Notifications and responses from the client: accepted, nothing to answer.
  auto r = has_method(message) && has_id(message) ? json_response(200, dispatch(message, caller))
                                                  : empty_response(202);
  r.headers.emplace_back("mcp-session-id", request.header("mcp-session-id"));
  return r;
}

net::ServerResponse Server::initialize(const json& message, const Caller& caller) {
  std::string asked;
  if (message.contains("params") && message["params"].is_object())
    asked = message["params"].value("protocolVersion", "");
  std::string version(is_streamable_http_version(asked) ? asked : kLatestProtocolVersion);
  json result = {
      {"protocolVersion", version},
      {"capabilities", {{"tools", {{"listChanged", false}}}}},
      {"serverInfo",
       {{"name", options_.name}, {"title", options_.title}, {"version", options_.version}}}};
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  auto r = json_response(200, rpc_result(message["id"], std::move(result)));
  r.headers.emplace_back("mcp-session-id", new_session(caller.credential_id, version));
  return r;
}

std::optional<net::ServerResponse> Server::touch_session(const net::ServerRequest& request,
                                                         const json& message,
                                                         const Caller& caller) {
  const json id = has_id(message) ? message["id"] : json(nullptr);
  std::string session_id(request.header("mcp-session-id"));
  if (session_id.empty())
    return json_response(400, rpc_error(id, kServerError,
                                        "Bad Request: Mcp-Session-Id header is required (send "
                                        "initialize first)"));
  std::lock_guard lock(mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.credential_id != caller.credential_id)
    return json_response(404, rpc_error(id, kSessionNotFound, "Session not found"));
  auto version = request.header("mcp-protocol-version");
  if (!version.empty() && !is_streamable_http_version(version))
    return json_response(
        400, rpc_error(nullptr, kServerError,
                       "Bad Request: Unsupported protocol version " + std::string(version) +
                           " (supported versions: " + streamable_http_versions_text() + ")"));
  it->second.last_used = std::chrono::steady_clock::now();
  if (has_method(message) && message["method"] == "notifications/initialized")
    it->second.initialized = true;
  return std::nullopt;
}

json Server::dispatch(const json& message, const Caller& caller) {
  const json& id = message["id"];
  const std::string method = message["method"].get<std::string>();
  json params = message.contains("params") ? message["params"] : json::object();
  if (!params.is_object()) return rpc_error(id, kInvalidParams, "params must be an object");
  if (method == "ping") return rpc_result(id, json::object());
  if (method == "tools/list") {
    if (params.contains("cursor") && !params["cursor"].is_null())
      return rpc_error(id, kInvalidParams, "Invalid cursor: this server lists every tool at once");
    return rpc_result(id, {{"tools", tools_.tools()}});
  }
  if (method == "tools/call") return call_tool(id, params, caller);
  return rpc_error(id, kMethodNotFound, "Method not found: " + method);
}

json Server::call_tool(const json& id, const json& params, const Caller& caller) {
  if (!params.contains("name") || !params["name"].is_string())
    return rpc_error(id, kInvalidParams, "tools/call needs params.name (a string)");
  json arguments = params.contains("arguments") ? params["arguments"] : json::object();
  if (arguments.is_null()) arguments = json::object();
  if (!arguments.is_object())
    return rpc_error(id, kInvalidParams, "tools/call params.arguments must be an object");
  auto name = params["name"].get<std::string>();
  auto result = tools_.call(name, arguments, caller);
  if (!result) return rpc_error(id, kInvalidParams, "Unknown tool: " + name);
  return rpc_result(id, std::move(*result));
}

std::string Server::new_session(const std::string& credential_id, const std::string& version) {
  std::string id = random_token("", 16);
  std::lock_guard lock(mu_);
  expire_sessions();
  sessions_[id] = {credential_id, version, false, std::chrono::steady_clock::now()};
  return id;
}

void Server::expire_sessions() {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions_,
                [&](const auto& kv) { return now - kv.second.last_used > options_.session_idle; });
  while (sessions_.size() >= options_.max_sessions) {
    auto oldest = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    sessions_.erase(oldest);
  }
}

}  // namespace cove::mcp
