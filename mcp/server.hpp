// The server side of MCP's streamable HTTP transport (the revisions of mcp/versions.hpp) for
// one endpoint: authentication of every request by the application, sessions
// (Mcp-Session-Id) bound to the credential that opened them, JSON-RPC requests answered as
// application/json, notifications with 202, GET 405 (no server-initiated stream), DELETE
// ending the session. The tools come from a ToolProvider. Thread-safe: requests of one
// session may arrive on several threads.
#pragma once

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.hpp"

namespace cove::mcp {

// Who sent a request, as the application's Authenticator recognised them.
struct Caller {
  // Names the credential without being it (e.g. its hash): a session answers only to the
  // credential that opened it.
  std::string credential_id;
  // The application's own record of the caller (the forge's token row): opaque to the
  // server, handed to ToolProvider::call.
  std::any principal;
};

// What the application made of a request's Authorization header. Called on every request,
// so a credential revoked mid-session stops working at once.
struct Authentication {
  enum class Kind {
    accepted,   // `caller` is set
    missing,    // no credentials: 401 asking for a bearer token
    rejected,   // unknown or revoked: 401 invalid_token
    malformed,  // 400
  };
  Kind kind = Kind::missing;
  Caller caller;
};
using Authenticator = std::function<Authentication(std::string_view authorization)>;

class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  // The tools/list entries (name, description, inputSchema, annotations).
  virtual const nlohmann::json& tools() const = 0;
  // The tools/call result ({content, isError?}); nullopt for an unknown tool.
  virtual std::optional<nlohmann::json> call(const std::string& name,
                                             const nlohmann::json& arguments,
                                             const Caller& caller) = 0;
};

struct ServerOptions {
  std::string name;  // serverInfo
  std::string title;
  std::string version;
  std::string instructions;  // initialize's instructions; none when empty
  std::string realm;         // of WWW-Authenticate: Bearer realm="…"
  std::chrono::seconds session_idle{3600};
  std::size_t max_sessions = 10000;
};

class Server {
 public:
  Server(ServerOptions options, ToolProvider& tools, Authenticator authenticate);

  net::ServerResponse handle(const net::ServerRequest& request);

 private:
  struct Session {
    std::string credential_id;
    std::string protocol_version;
    bool initialized = false;
    std::chrono::steady_clock::time_point last_used;
  };

  net::ServerResponse unauthenticated(Authentication::Kind kind) const;
  net::ServerResponse post(const net::ServerRequest& request, const Caller& caller);
  net::ServerResponse end_session(const net::ServerRequest& request, const Caller& caller);
  net::ServerResponse initialize(const nlohmann::json& message, const Caller& caller);
  // Marks the request's session used; the error response when it has none or a bad one.
  std::optional<net::ServerResponse> touch_session(const net::ServerRequest& request,
                                                   const nlohmann::json& message,
                                                   const Caller& caller);
  nlohmann::json dispatch(const nlohmann::json& message, const Caller& caller);
  nlohmann::json call_tool(const nlohmann::json& id, const nlohmann::json& params,
                           const Caller& caller);
  std::string new_session(const std::string& credential_id, const std::string& version);
  void expire_sessions();

  ServerOptions options_;
  ToolProvider& tools_;
  Authenticator authenticate_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

}  // namespace cove::mcp
