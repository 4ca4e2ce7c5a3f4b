#include "runtime/domain/vault_credential.hpp"

namespace cove::domain {

namespace {

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

const char* type_of(const CredentialAuth& auth) {
  return std::holds_alternative<StaticBearerAuth>(auth) ? "static_bearer" : "environment_variable";
}

}  // namespace

bool VaultCredential::bears_token_for(const std::string& mcp_server_url) const {
  const auto* bearer = std::get_if<StaticBearerAuth>(&auth);
  return bearer && without_trailing_slashes(bearer->mcp_server_url) ==
                       without_trailing_slashes(mcp_server_url);
}

void to_json(json& out, const CredentialAuth& auth) {
  out = {{"type", type_of(auth)}};
  if (const auto* b = std::get_if<StaticBearerAuth>(&auth)) {
    out["mcp_server_url"] = b->mcp_server_url;
    return;
  }
  const auto& e = std::get<EnvironmentVariableAuth>(auth);
  out["secret_name"] = e.secret_name;
  out["networking"] = e.limited ? json{{"type", "limited"}, {"allowed_hosts", e.allowed_hosts}}
                                : json{{"type", "unrestricted"}};
  out["injection_location"] = {{"body", e.inject_body}, {"header", e.inject_header}};
}

void from_json(const json& in, CredentialAuth& auth) {
  const std::string path = "credential.auth";
  auto type = require_string(require_object(in, path), "type", path);
  if (type == "static_bearer") {
    auth = StaticBearerAuth{require_string(in, "mcp_server_url", path)};
    return;
  }
  if (type != "environment_variable") invalid(path + ".type", "is not a known credential type");
  EnvironmentVariableAuth e;
  e.secret_name = require_string(in, "secret_name", path);
  const json& networking = member_or_null(in, "networking");
  e.limited = networking.is_object() && networking.value("type", "") == "limited";
  if (e.limited)
    e.allowed_hosts = string_list(member_or_null(networking, "allowed_hosts"),
                                  path + ".networking.allowed_hosts");
  const json& where = member_or_null(in, "injection_location");
  if (where.is_object()) {
    e.inject_body = optional_bool(where, "body", path + ".injection_location").value_or(false);
    e.inject_header = optional_bool(where, "header", path + ".injection_location").value_or(true);
  }
  auth = std::move(e);
}

void to_json(json& out, const VaultCredential& c) {
  out = {{"type", "vault_credential"},
         {"id", c.id},
         {"vault_id", c.vault_id},
         {"auth", c.auth},
         {"display_name", or_null(c.display_name)},
         {"metadata", c.metadata},
         {"created_at", c.created_at},
         {"updated_at", c.updated_at},
         {"archived_at", or_null(c.archived_at)}};
}

void from_json(const json& in, VaultCredential& c) {
  const std::string path = "credential";
  require_object(in, path);
  c.id = require_string(in, "id", path);
  c.vault_id = require_string(in, "vault_id", path);
  c.auth = member_or_null(in, "auth").get<CredentialAuth>();
  c.display_name = optional_string(in, "display_name", path);
  c.metadata = parse_metadata(member_or_null(in, "metadata"), path + ".metadata");
  c.created_at = optional_string(in, "created_at", path).value_or("");
  c.updated_at = optional_string(in, "updated_at", path).value_or("");
  c.archived_at = optional_string(in, "archived_at", path);
}

}  // namespace cove::domain
