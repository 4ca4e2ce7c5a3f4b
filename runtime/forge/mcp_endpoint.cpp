// MCP streamable HTTP, server side (see mcp_endpoint.hpp).
#include "runtime/forge/mcp_endpoint.hpp"

#include <algorithm>

namespace cove::forge {

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

}  // namespace

const std::vector<std::string>& McpEndpoint::supported_versions() {
  static const std::vector<std::string> v{"2025-11-25", "2025-06-18", "2025-03-26"};
  return v;
}

McpEndpoint::McpEndpoint(McpEndpointOptions options, ToolProvider& tools,
                         std::function<std::optional<TokenRecord>(const std::string&)> authenticate)
    : options_(std::move(options)), tools_(tools), authenticate_(std::move(authenticate)) {}

net::ServerResponse McpEndpoint::handle(const net::ServerRequest& request) {
  auto creds = parse_authorization(request.header("authorization"));
  if (creds.kind == Credentials::Kind::malformed) {
    auto r = json_response(
        400, rpc_error(nullptr, kServerError, "Bad Request: malformed Authorization header"));
    return r;
  }
  std::optional<TokenRecord> token;
  if (creds.kind == Credentials::Kind::token) token = authenticate_(creds.token);
  if (!token) {
    auto r =
        json_response(401, rpc_error(nullptr, kServerError,
                                     creds.kind == Credentials::Kind::none
                                         ? "Unauthorized: a bearer token is required"
                                         : "Unauthorized: the token is unknown or was revoked"));
    r.headers.emplace_back("www-authenticate",
                           creds.kind == Credentials::Kind::none
                               ? R"(Bearer realm="cove forge")"
                               : R"(Bearer realm="cove forge", error="invalid_token")");
    return r;
  }
  auto token_hash = hash_token(creds.token);
  if (request.method == "POST") return post(request, *token, token_hash);
  if (request.method == "DELETE") {
    std::string id(request.header("mcp-session-id"));
    if (id.empty())
      return json_response(
          400, rpc_error(nullptr, kServerError, "Bad Request: Mcp-Session-Id header is required"));
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.token_hash != token_hash)
      return json_response(404, rpc_error(nullptr, kSessionNotFound, "Session not found"));
    sessions_.erase(it);
    return empty_response(200);
  }
  auto r = json_response(
      405, rpc_error(nullptr, kServerError,
                     request.method == "GET" ? "Method Not Allowed: this server offers no stream"
                                             : "Method Not Allowed"));
  r.headers.emplace_back("allow", "POST, DELETE");
  return r;
}

net::ServerResponse McpEndpoint::post(const net::ServerRequest& request, const TokenRecord& token,
                                      const std::string& token_hash) {
  auto content_type = request.header("content-type");
  if (!contains_ci(content_type, "application/json"))
    return json_response(415, rpc_error(nullptr, kServerError,
                                        "Unsupported Media Type: Content-Type must be "
                                        "application/json"));
  auto accept = request.header("accept");
  if (!accept.empty() && !contains_ci(accept, "application/json") && !contains_ci(accept, "*/*") &&
      !contains_ci(accept, "text/event-stream"))
    return json_response(406, rpc_error(nullptr, kServerError,
                                        "Not Acceptable: Accept must allow application/json"));
  json message = json::parse(request.body, nullptr, false);
  if (message.is_discarded())
    return json_response(400, rpc_error(nullptr, kParseError, "Parse error"));
  if (message.is_array())
    return json_response(400, rpc_error(nullptr, kInvalidRequest,
                                        "Invalid Request: JSON-RPC batches are not supported"));
  if (!message.is_object() || message.value("jsonrpc", "") != "2.0")
    return json_response(
        400, rpc_error(nullptr, kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message"));
  const bool has_method = message.contains("method") && message["method"].is_string();
  const bool has_id =
      message.contains("id") && (message["id"].is_string() || message["id"].is_number_integer());
  if (has_method && message.contains("id") && !has_id)
    return json_response(400, rpc_error(nullptr, kInvalidRequest,
                                        "Invalid Request: id must be a string or an integer"));
  std::string method = has_method ? message["method"].get<std::string>() : "";

  if (method == "initialize" && has_id) {
    std::string asked;
    if (message.contains("params") && message["params"].is_object())
      asked = message["params"].value("protocolVersion", "");
    const auto& versions = supported_versions();
    std::string version = std::find(versions.begin(), versions.end(), asked) != versions.end()
                              ? asked
                              : versions.front();
    json result = {{"protocolVersion", version},
                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                   {"serverInfo",
                    {{"name", options_.server_name},
                     {"title", "cove forge (a local GitHub stand-in)"},
                     {"version", options_.server_version}}}};
    if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
    auto r = json_response(200, {{"jsonrpc", "2.0"}, {"id", message["id"]}, {"result", result}});
    r.headers.emplace_back("mcp-session-id", new_session(token_hash, version));
    return r;
  }

  std::string session_id(request.header("mcp-session-id"));
  if (session_id.empty())
    return json_response(400, rpc_error(has_id ? message["id"] : json(nullptr), kServerError,
                                        "Bad Request: Mcp-Session-Id header is required (send "
                                        "initialize first)"));
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || it->second.token_hash != token_hash)
      return json_response(404, rpc_error(has_id ? message["id"] : json(nullptr), kSessionNotFound,
                                          "Session not found"));
    auto version = request.header("mcp-protocol-version");
    const auto& versions = supported_versions();
    if (!version.empty() && std::find(versions.begin(), versions.end(), version) == versions.end())
      return json_response(
          400, rpc_error(nullptr, kServerError,
                         "Bad Request: Unsupported protocol version " + std::string(version) +
                             " (supported versions: 2025-11-25, 2025-06-18, 2025-03-26)"));
    it->second.last_used = std::chrono::steady_clock::now();
    if (method == "notifications/initialized") it->second.initialized = true;
  }
  // Notifications and responses from the client: accepted, nothing to answer.
  if (!has_method || !has_id) {
    auto r = empty_response(202);
    r.headers.emplace_back("mcp-session-id", session_id);
    return r;
  }
  auto r = json_response(200, dispatch(message, token));
  r.headers.emplace_back("mcp-session-id", session_id);
  return r;
}

json McpEndpoint::dispatch(const json& message, const TokenRecord& token) {
  const json& id = message["id"];
  const std::string method = message["method"].get<std::string>();
  json params = message.contains("params") ? message["params"] : json::object();
  if (!params.is_object()) return rpc_error(id, kInvalidParams, "params must be an object");
  if (method == "ping") return {{"jsonrpc", "2.0"}, {"id", id}, {"result", json::object()}};
  if (method == "tools/list") {
    if (params.contains("cursor") && !params["cursor"].is_null())
      return rpc_error(id, kInvalidParams, "Invalid cursor: this server lists every tool at once");
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"tools", tools_.tools()}}}};
  }
  if (method == "tools/call") {
    if (!params.contains("name") || !params["name"].is_string())
      return rpc_error(id, kInvalidParams, "tools/call needs params.name (a string)");
    json arguments = params.contains("arguments") ? params["arguments"] : json::object();
    if (arguments.is_null()) arguments = json::object();
    if (!arguments.is_object())
      return rpc_error(id, kInvalidParams, "tools/call params.arguments must be an object");
    auto name = params["name"].get<std::string>();
    auto result = tools_.call(name, arguments, token);
    if (!result) return rpc_error(id, kInvalidParams, "Unknown tool: " + name);
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
  }
  return rpc_error(id, kMethodNotFound, "Method not found: " + method);
}

std::string McpEndpoint::new_session(const std::string& token_hash, const std::string& version) {
  std::string id = hash_token(generate_token()).substr(0, 32);
  std::lock_guard lock(mu_);
  expire_sessions();
  sessions_[id] = {token_hash, version, false, std::chrono::steady_clock::now()};
  return id;
}

void McpEndpoint::expire_sessions() {
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

}  // namespace cove::forge
