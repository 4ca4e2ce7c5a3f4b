#include "runtime/api/unsupported.hpp"

#include <array>

namespace cove::api {
namespace {

struct Feature {
  std::string_view prefix;  // "{}" matches one path segment
  std::string_view name;
};

// Longest-first within a family, so that the first match is the most specific.
constexpr std::array kFeatures{
    Feature{"/v1/files", "the Files API"},
    Feature{"/v1/skills", "Skills"},
    Feature{"/v1/memory_stores", "memory stores"},
    Feature{"/v1/deployments", "deployments"},
    Feature{"/v1/deployment_runs", "deployment runs"},
    Feature{"/v1/dreams", "dreams"},
    Feature{"/v1/tunnels", "MCP tunnels"},
    Feature{"/v1/organizations", "organization administration"},
    Feature{"/v1/sessions/{}/threads", "session threads (multi-agent sessions)"},
    Feature{"/v1/environments/{}/work", "the self-hosted environment work protocol"},
    Feature{"/v1/vaults/{}/credentials/{}/mcp_oauth_validate", "MCP OAuth validation"},
};

// True when `path` starts with `prefix` segment by segment ("{}" matching any one segment)
// and ends there or continues with another segment.
bool under(std::string_view path, std::string_view prefix) {
  while (!prefix.empty()) {
    if (path.empty() || path.front() != '/' || prefix.front() != '/') return false;
    path.remove_prefix(1);
    prefix.remove_prefix(1);
    size_t p_end = std::min(prefix.find('/'), prefix.size());
    size_t s_end = std::min(path.find('/'), path.size());
    std::string_view want = prefix.substr(0, p_end), got = path.substr(0, s_end);
    if (got.empty() || (want != "{}" && want != got)) return false;
    prefix.remove_prefix(p_end);
    path.remove_prefix(s_end);
  }
  return path.empty() || path.front() == '/';
}

}  // namespace

std::optional<std::string> unsupported_endpoint(std::string_view method, std::string_view path) {
  for (const Feature& f : kFeatures) {
    if (!under(path, f.prefix)) continue;
    return "cove does not implement " + std::string(f.name) + " (" + std::string(method) + " " +
           std::string(path) + "); docs/api.md lists the endpoints cove serves";
  }
  return std::nullopt;
}

}  // namespace cove::api
