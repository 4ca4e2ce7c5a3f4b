// The stored objects a session runs on, parsed once where they are loaded: the session (with
// its agent snapshot, environment id and vault ids), its resources, its environment's
// configuration and the credentials of its vaults. Past this edge the session's code takes
// domain types. A stored body that does not parse throws std::runtime_error naming the
// object and the field; the caller reports it as a session.error.
#pragma once

#include <string>
#include <vector>

#include "runtime/domain/environment.hpp"
#include "runtime/domain/resource.hpp"
#include "runtime/domain/session.hpp"
#include "runtime/store/store.hpp"

namespace cove::sessions {

domain::Session read_session(const store::Object& session);

// The session's resource objects, in creation order.
std::vector<domain::Resource> read_resources(store::Store& store, const std::string& session_id);

// The configuration of the session's environment; the defaults when it was deleted.
domain::EnvironmentConfig read_environment_config(store::Store& store,
                                                  const std::string& environment_id);

// The bearer token for an MCP server: the secret of the first static_bearer credential of
// the vaults (in order) that bears a token for `mcp_server_url`; empty when there is none.
// Archived credentials do not count.
std::string mcp_token(store::Store& store, const std::vector<std::string>& vault_ids,
                      const std::string& mcp_server_url);

}  // namespace cove::sessions
