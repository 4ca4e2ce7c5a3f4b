// The agent `cove run` uses: one per configuration, found again by a hash of that
// configuration kept in the agent's metadata, so that repeated runs do not pile up agents.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/client/api_client.hpp"

namespace cove::client {

// The metadata key holding the hash of the configuration an agent was created with.
inline constexpr char kRunConfigKey[] = "cove.run_config";

// A stable hash (16 hex digits) of an agent request's configuration: every member but
// `metadata`, in canonical JSON (keys sorted), so equal configurations hash equally whatever
// the order of their keys, and any change of model, system prompt, tools or MCP servers
// changes it.
std::string agent_config_hash(const nlohmann::json& agent_request);

// The id of an agent (not archived) whose metadata holds this request's hash; created from
// the request, with the hash added to its metadata, when there is none.
std::string find_or_create_agent(ApiClient& api, nlohmann::json agent_request);

}  // namespace cove::client
