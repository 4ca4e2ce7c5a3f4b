// Where the runtime itself connects on an API client's word: the MCP servers and repository
// remotes named in agents and sessions. They get the egress proxy's address rules, so an API
// client cannot point cove at this machine's services or its network's (SSRF).
#pragma once

#include <optional>
#include <string>

namespace cove::netproxy {

struct TargetPolicy {
  bool offline = false;        // only loopback (cove serve --offline)
  bool allow_private = false;  // loopback and private addresses too (--allow-private-targets)
};

// Why the runtime may not connect to `url`, or nullopt when it may. Resolves the host name
// (blocking); every address it resolves to must be allowed, since the connection resolves it
// again. The message names the host and the reason, never the URL's userinfo.
std::optional<std::string> runtime_target_refusal(const std::string& url,
                                                  const TargetPolicy& policy);

}  // namespace cove::netproxy
