// Sessions: one run of an agent version (its snapshot) in an environment, with the vaults
// it may take credentials from. The session's resources are objects of their own (see
// resource.hpp); the API shows them with the session. stats, usage and budget are kept as
// JSON: the agent loop writes stats and usage field by field, budget is echoed as given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/domain/agent.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::domain {

// A session's metadata key that cove reads (an extension; the hosted API has none): "stop"
// ends the first turn before any model request when a repository or MCP server could not be
// set up, instead of going on without it. `cove run` sets it unless --keep-going.
inline constexpr char kStopOnSetupFailure[] = "cove.on_setup_failure";

struct Session {
  std::string id;  // "sesn_..."
  std::string status = session_status::kIdle;
  std::optional<std::string> title;
  AgentSnapshot agent;
  std::string environment_id;
  Metadata metadata;
  std::vector<std::string> vault_ids;
  json budget = nullptr;  // an object or null
  json outcome_evaluations = json::array();
  json stats = {{"active_seconds", 0}, {"duration_seconds", 0}};
  json usage = {
      {"input_tokens", 0},
      {"output_tokens", 0},
      {"cache_read_input_tokens", 0},
      {"cache_creation", {{"ephemeral_1h_input_tokens", 0}, {"ephemeral_5m_input_tokens", 0}}}};
  std::string created_at, updated_at;
  std::optional<std::string> archived_at;
};

void to_json(json& out, const Session& session);  // without resources
void from_json(const json& in, Session& session);

// The request's budget: an object or null.
json parse_budget(const json& value, const std::string& path);

}  // namespace cove::domain
