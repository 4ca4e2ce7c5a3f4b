// The one exception type of the MCP client. Messages name the server and the failing call;
// they never contain the bearer token.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace cove::mcp {

class McpError : public std::runtime_error {
 public:
  enum class Kind {
    transport,  // connection, HTTP status, malformed reply
    protocol,   // a JSON-RPC error answer (see code())
    auth,       // 401 or 403: the credentials were refused
    timeout,    // the per-call timeout expired (the request was cancelled on the server)
    cancelled,  // the caller cancelled the request
    version,    // no protocol revision in common
  };

  McpError(Kind kind, const std::string& what, int code = 0, nlohmann::json data = nullptr)
      : std::runtime_error(what), kind_(kind), code_(code), data_(std::move(data)) {}

  Kind kind() const { return kind_; }
  // JSON-RPC error code for Kind::protocol, HTTP status for transport and auth, else 0.
  int code() const { return code_; }
  const nlohmann::json& data() const { return data_; }

  // The message without what the server sent (body, headers, content type), for people who
  // named the server but should not read its answers through cove: a session's error event.
  // what() when the message quotes nothing of the server's.
  std::string brief() const { return brief_.empty() ? std::string(what()) : brief_; }
  McpError& with_brief(std::string brief) {
    brief_ = std::move(brief);
    return *this;
  }

 private:
  Kind kind_;
  int code_;
  nlohmann::json data_;
  std::string brief_;
};

}  // namespace cove::mcp
