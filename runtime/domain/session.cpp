#include "runtime/domain/session.hpp"

namespace cove::domain {

void to_json(json& out, const Session& s) {
  out = {{"type", "session"},
         {"id", s.id},
         {"status", s.status},
         {"title", or_null(s.title)},
         {"agent", s.agent},
         {"environment_id", s.environment_id},
         {"metadata", s.metadata},
         {"vault_ids", s.vault_ids},
         {"budget", s.budget},
         {"outcome_evaluations", s.outcome_evaluations},
         {"stats", s.stats},
         {"usage", s.usage},
         {"created_at", s.created_at},
         {"updated_at", s.updated_at},
         {"archived_at", or_null(s.archived_at)}};
}

void from_json(const json& in, Session& s) {
  const std::string path = "session";
  require_object(in, path);
  s.id = require_string(in, "id", path);
  s.status = optional_string(in, "status", path).value_or(session_status::kIdle);
  s.title = optional_string(in, "title", path);
  s.agent = member_or_null(in, "agent").get<AgentSnapshot>();
  s.environment_id = require_string(in, "environment_id", path);
  s.metadata = parse_metadata(member_or_null(in, "metadata"), path + ".metadata");
  s.vault_ids = string_list(member_or_null(in, "vault_ids"), path + ".vault_ids");
  s.budget = parse_budget(member_or_null(in, "budget"), path + ".budget");
  if (const json* o = member(in, "outcome_evaluations")) s.outcome_evaluations = *o;
  if (const json* st = member(in, "stats")) s.stats = *st;
  if (const json* u = member(in, "usage")) s.usage = *u;
  s.created_at = optional_string(in, "created_at", path).value_or("");
  s.updated_at = optional_string(in, "updated_at", path).value_or("");
  s.archived_at = optional_string(in, "archived_at", path);
}

json parse_budget(const json& value, const std::string& path) {
  if (!value.is_null()) require_object(value, path);
  return value;
}

}  // namespace cove::domain
