// Environments: the template a session's sandbox is built from. A cloud environment has a
// networking policy (unrestricted, or limited to allowed hosts) and package lists; a
// self_hosted one has neither. Parsing fills in every default, so a parsed config is
// complete; on update, sub-fields the request omits keep their current values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/domain/metadata.hpp"

namespace cove::domain {

struct NetworkingPolicy {
  bool limited = false;  // false: "unrestricted" (the other fields are then unused)
  std::vector<std::string> allowed_hosts;
  bool allow_package_managers = false;
  bool allow_mcp_servers = false;
};

// Packages to install, per manager: apt, cargo, gem, go, npm, pip (always all six).
struct Packages {
  std::map<std::string, std::vector<std::string>> by_manager;
  Packages();
};

struct EnvironmentConfig {
  bool self_hosted = false;
  NetworkingPolicy networking;  // cloud only
  Packages packages;            // cloud only
};

struct Environment {
  std::string id;  // "env_..."
  std::string name;
  std::optional<std::string> description;
  EnvironmentConfig config;
  Metadata metadata;
  std::string scope = "organization";
  std::string created_at, updated_at;
  std::optional<std::string> archived_at;
};

void to_json(json& out, const NetworkingPolicy& policy);
void from_json(const json& in, NetworkingPolicy& policy);
void to_json(json& out, const Packages& packages);
void to_json(json& out, const EnvironmentConfig& config);
void from_json(const json& in, EnvironmentConfig& config);
void to_json(json& out, const Environment& environment);
void from_json(const json& in, Environment& environment);

// `value` (absent or null: keep `current`, or the defaults without one) as a config; errors
// name "config..." fields. The type cannot change (code invalid_config_type_change).
EnvironmentConfig parse_environment_config(const json* value,
                                           const EnvironmentConfig* current = nullptr);
// "organization" or "account".
std::optional<std::string> parse_scope(const json& request);

}  // namespace cove::domain
