// Vault credentials: what a session may authenticate with, described without the secret.
// A static_bearer credential is the bearer token for one MCP server URL; an
// environment_variable credential is a named secret injected into requests to allowed hosts.
// The secret itself (token, secret_value) is parsed from the request and handed to the
// caller separately: it is never part of a VaultCredential, so to_json cannot show it.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/domain/metadata.hpp"

namespace cove::domain {

struct StaticBearerAuth {
  std::string mcp_server_url;
};

struct EnvironmentVariableAuth {
  std::string secret_name;
  bool limited = false;  // networking: unrestricted, or limited to allowed_hosts
  std::vector<std::string> allowed_hosts;
  bool inject_body = false;
  bool inject_header = true;
};

using CredentialAuth = std::variant<StaticBearerAuth, EnvironmentVariableAuth>;

struct VaultCredential {
  std::string id;  // "vcrd_..."
  std::string vault_id;
  CredentialAuth auth;
  std::optional<std::string> display_name;
  Metadata metadata;
  std::string created_at, updated_at;
  std::optional<std::string> archived_at;

  // True for a static_bearer credential of this MCP server (trailing slashes ignored).
  bool bears_token_for(const std::string& mcp_server_url) const;
};

void to_json(json& out, const CredentialAuth& auth);
void from_json(const json& in, CredentialAuth& auth);
void to_json(json& out, const VaultCredential& credential);
void from_json(const json& in, VaultCredential& credential);

// The request's `auth` (errors name "auth..." fields). Creating (`current` null) requires
// the secret; an update keeps the type and what it omits, and may rotate the secret.
CredentialAuth parse_credential_auth(const json& auth, const CredentialAuth* current,
                                     std::optional<std::string>* secret);

}  // namespace cove::domain
