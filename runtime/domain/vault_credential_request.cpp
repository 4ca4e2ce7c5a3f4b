// A credential's `auth` from a create or update request, and the secret it carries.
#include "runtime/domain/vault_credential.hpp"

namespace cove::domain {

namespace {

void parse_networking(const json& v, const std::string& path, EnvironmentVariableAuth& out) {
  out.limited = false;
  out.allowed_hosts.clear();
  if (v.is_null()) return;
  require_object(v, path);
  auto type = require_string(v, "type", path);
  if (type == "unrestricted") return;
  if (type != "limited") invalid(path + ".type", "must be unrestricted or limited");
  const json& hosts = member_or_null(v, "allowed_hosts");
  if (!hosts.is_array()) invalid(path + ".allowed_hosts", "must be an array");
  out.limited = true;
  out.allowed_hosts = string_list(hosts, path + ".allowed_hosts");
}

EnvironmentVariableAuth parse_environment_variable(const json& auth,
                                                   const EnvironmentVariableAuth* current) {
  EnvironmentVariableAuth out = current ? *current : EnvironmentVariableAuth{};
  if (!current) out.secret_name = require_string(auth, "secret_name", "auth", 1, 256);
  if (!current || member(auth, "networking"))
    parse_networking(member_or_null(auth, "networking"), "auth.networking", out);
  const json& where = member_or_null(auth, "injection_location");
  if (!where.is_null()) {
    const std::string path = "auth.injection_location";
    require_object(where, path);
    if (auto b = optional_bool(where, "body", path)) out.inject_body = *b;
    if (auto h = optional_bool(where, "header", path)) out.inject_header = *h;
  }
  return out;
}

// Required when creating, optional (a rotation) when updating.
std::optional<std::string> secret_field(const json& auth, const char* key, bool update,
                                        std::size_t max_len) {
  if (update) return optional_string(auth, key, "auth", max_len);
  return require_string(auth, key, "auth", 1, max_len);
}

}  // namespace

CredentialAuth parse_credential_auth(const json& auth, const CredentialAuth* current,
                                     std::optional<std::string>* secret) {
  require_object(auth, "auth");
  auto type = require_string(auth, "type", "auth");
  bool update = current != nullptr;
  if (update && json(*current)["type"] != type) invalid("auth.type", "cannot change");
  if (type == "static_bearer") {
    CredentialAuth out =
        update ? *current : StaticBearerAuth{require_string(auth, "mcp_server_url", "auth")};
    *secret = secret_field(auth, "token", update, 16384);
    return out;
  }
  if (type == "environment_variable") {
    CredentialAuth out = parse_environment_variable(
        auth, update ? &std::get<EnvironmentVariableAuth>(*current) : nullptr);
    *secret = secret_field(auth, "secret_value", update, 65536);
    return out;
  }
  invalid("auth.type",
          "must be static_bearer or environment_variable (mcp_oauth is not supported yet)");
}

}  // namespace cove::domain
