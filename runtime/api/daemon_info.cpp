// GET /cove/v1/info: the daemon's own description (cove's route, not the Managed Agents API).
#include "runtime/api/daemon_info.hpp"

#include <unistd.h>

#include "base/version.hpp"
#include "runtime/api/routes.hpp"

namespace cove::api {

namespace {

json model_info(const models::ProviderConfig& m) {
  json out = {{"provider", m.provider}};
  if (m.provider == "anthropic") {
    out["base_url"] = m.anthropic_base_url;
    out["api_key_set"] = !m.anthropic_api_key.empty();
  } else if (m.provider == "openai") {
    out["base_url"] = m.openai_base_url;
    out["api_key_set"] = !m.openai_api_key.empty();
  }
  if (!m.script.empty()) out["script"] = m.script;
  out["scripts_dir"] = m.scripts_dir;
  out["record_dir"] = m.record_dir.empty() ? json(nullptr) : json(m.record_dir);
  return out;
}

json limits_info(const sessions::RunnerConfig& r) {
  const auto& l = r.limits;
  return {{"memory_bytes", l.memory_bytes},
          {"pids", l.pids},
          {"cpus", l.cpus},
          {"tmp_bytes", l.tmp_bytes},
          {"open_files", l.open_files},
          {"max_model_requests_per_turn", r.max_model_requests_per_turn},
          {"model_retries", r.max_retries}};
}

Reply info(Services& s, Call&) {
  return {200, s.daemon_info(), nullptr};
}

}  // namespace

json daemon_info(const ServerOptions& o, uint16_t port) {
  const auto& r = o.runner;
  return {{"type", "cove_info"},
          {"version", version()},
          {"pid", ::getpid()},
          {"url", "http://" + o.host + ":" + std::to_string(port)},
          {"home", r.home.string()},
          {"store", o.database_path},
          {"model", model_info(r.models)},
          {"offline", r.offline},
          {"allow_private_targets", r.allow_private_targets},
          {"egress_allow_private", r.egress_allow_private},
          {"limits", limits_info(r)}};
}

void add_cove_routes(std::vector<Route>& routes) {
  routes.push_back({"GET", "/cove/v1/info", info});
}

}  // namespace cove::api
