#include "runtime/domain/environment.hpp"

namespace cove::domain {

std::optional<std::string> parse_scope(const json& request) {
  auto scope = optional_string(request, "scope", "");
  if (scope && *scope != "organization" && *scope != "account")
    invalid("scope", "must be organization or account");
  return scope;
}

void to_json(json& out, const Environment& e) {
  out = {{"type", "environment"},
         {"id", e.id},
         {"name", e.name},
         {"description", or_null(e.description)},
         {"config", e.config},
         {"metadata", e.metadata},
         {"scope", e.scope},
         {"created_at", e.created_at},
         {"updated_at", e.updated_at},
         {"archived_at", or_null(e.archived_at)}};
}

void from_json(const json& in, Environment& e) {
  const std::string path = "environment";
  require_object(in, path);
  e.id = require_string(in, "id", path);
  e.name = require_string(in, "name", path);
  e.description = optional_string(in, "description", path);
  e.config = parse_environment_config(member(in, "config"));
  e.metadata = parse_metadata(member_or_null(in, "metadata"), path + ".metadata");
  e.scope = optional_string(in, "scope", path).value_or("organization");
  e.created_at = optional_string(in, "created_at", path).value_or("");
  e.updated_at = optional_string(in, "updated_at", path).value_or("");
  e.archived_at = optional_string(in, "archived_at", path);
}

}  // namespace cove::domain
