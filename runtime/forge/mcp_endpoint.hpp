// The server side of MCP's streamable HTTP transport (revision 2025-11-25, also negotiating
// 2025-06-18 and 2025-03-26) for one endpoint: bearer-token auth on every request, sessions
// (Mcp-Session-Id), JSON-RPC requests answered as application/json, notifications with 202,
// GET 405 (no server-initiated stream), DELETE ending the session. The tools come from a
// ToolProvider. Thread-safe: requests of one session may arrive on several threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "net/http_server.hpp"
#include "runtime/forge/access.hpp"

namespace cove::forge {

class ToolProvider {
 public:
  virtual ~ToolProvider() = default;
  // The tools/list entries (name, description, inputSchema, annotations).
  virtual const nlohmann::json& tools() const = 0;
  // The tools/call result ({content, isError?}); nullopt for an unknown tool.
  virtual std::optional<nlohmann::json> call(const std::string& name,
                                             const nlohmann::json& arguments,
                                             const TokenRecord& token) = 0;
};

struct McpEndpointOptions {
  std::string server_name = "cove-forge";
  std::string server_version;
  std::string instructions;
  std::chrono::seconds session_idle{3600};
  std::size_t max_sessions = 10000;
};

class McpEndpoint {
 public:
  // `authenticate` maps a presented token to its valid record (nullopt: unknown or revoked).
  McpEndpoint(McpEndpointOptions options, ToolProvider& tools,
              std::function<std::optional<TokenRecord>(const std::string&)> authenticate);

  net::ServerResponse handle(const net::ServerRequest& request);

  // Protocol revisions this server speaks, newest first.
  static const std::vector<std::string>& supported_versions();

 private:
  struct Session {
    std::string token_hash;
    std::string protocol_version;
    bool initialized = false;
    std::chrono::steady_clock::time_point last_used;
  };

  net::ServerResponse post(const net::ServerRequest& request, const TokenRecord& token,
                           const std::string& token_hash);
  nlohmann::json dispatch(const nlohmann::json& message, const TokenRecord& token);
  std::string new_session(const std::string& token_hash, const std::string& version);
  void expire_sessions();

  McpEndpointOptions options_;
  ToolProvider& tools_;
  std::function<std::optional<TokenRecord>(const std::string&)> authenticate_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

}  // namespace cove::forge
