// Parsing an environment's config from a request (or a stored body: the resolved form parses
// to itself).
#include "runtime/domain/environment.hpp"

namespace cove::domain {

namespace {

const char* const kManagers[] = {"apt", "cargo", "gem", "go", "npm", "pip"};

NetworkingPolicy parse_networking(const json* v, const NetworkingPolicy* current,
                                  const std::string& path) {
  if (!v || v->is_null()) return current ? *current : NetworkingPolicy{};
  require_object(*v, path);
  auto type = require_string(*v, "type", path);
  if (type == "unrestricted") return NetworkingPolicy{};
  if (type != "limited") invalid(path + ".type", "must be unrestricted or limited");
  NetworkingPolicy out = current && current->limited ? *current : NetworkingPolicy{};
  out.limited = true;
  if (const json* h = member(*v, "allowed_hosts"))
    out.allowed_hosts = string_list(*h, path + ".allowed_hosts");
  if (auto b = optional_bool(*v, "allow_package_managers", path)) out.allow_package_managers = *b;
  if (auto b = optional_bool(*v, "allow_mcp_servers", path)) out.allow_mcp_servers = *b;
  return out;
}

Packages parse_packages(const json* v, const Packages* current, const std::string& path) {
  Packages out = current ? *current : Packages{};
  if (!v || v->is_null()) return out;
  require_object(*v, path);
  if (auto t = optional_string(*v, "type", path); t && *t != "packages")
    invalid(path + ".type", "must be packages");
  for (const char* m : kManagers)
    if (const json* list = member(*v, m)) out.by_manager[m] = string_list(*list, path + "." + m);
  return out;
}

}  // namespace

Packages::Packages() {
  for (const char* m : kManagers)
    by_manager[m] = {};
}

EnvironmentConfig parse_environment_config(const json* v, const EnvironmentConfig* current) {
  if (!v || v->is_null()) return current ? *current : EnvironmentConfig{};
  require_object(*v, "config");
  auto type = require_string(*v, "type", "config");
  if (type != "cloud" && type != "self_hosted")
    invalid("config.type", "must be cloud or self_hosted");
  if (current && current->self_hosted != (type == "self_hosted"))
    invalid("config.type",
            std::string("cannot change from ") + (current->self_hosted ? "self_hosted" : "cloud") +
                " to " + type,
            "invalid_config_type_change");
  EnvironmentConfig out;
  out.self_hosted = type == "self_hosted";
  if (out.self_hosted) return out;
  out.networking = parse_networking(member(*v, "networking"),
                                    current ? &current->networking : nullptr, "config.networking");
  out.packages = parse_packages(member(*v, "packages"), current ? &current->packages : nullptr,
                                "config.packages");
  return out;
}

void to_json(json& out, const NetworkingPolicy& p) {
  if (!p.limited) {
    out = {{"type", "unrestricted"}};
    return;
  }
  out = {{"type", "limited"},
         {"allowed_hosts", p.allowed_hosts},
         {"allow_package_managers", p.allow_package_managers},
         {"allow_mcp_servers", p.allow_mcp_servers}};
}

void from_json(const json& in, NetworkingPolicy& p) {
  p = parse_networking(&in, nullptr, "config.networking");
}

void to_json(json& out, const Packages& packages) {
  out = {{"type", "packages"}};
  for (const auto& [manager, list] : packages.by_manager)
    out[manager] = list;
}

void to_json(json& out, const EnvironmentConfig& c) {
  if (c.self_hosted) {
    out = {{"type", "self_hosted"}};
    return;
  }
  out = {{"type", "cloud"}, {"networking", c.networking}, {"packages", c.packages}};
}

void from_json(const json& in, EnvironmentConfig& c) {
  c = parse_environment_config(&in);
}

}  // namespace cove::domain
