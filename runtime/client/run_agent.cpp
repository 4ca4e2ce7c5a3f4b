#include "runtime/client/run_agent.hpp"

#include <cstdint>
#include <cstdio>

namespace cove::client {

std::string agent_config_hash(const json& agent_request) {
  json config = agent_request;
  config.erase("metadata");
  // nlohmann::json keeps object keys sorted, so dump() is canonical. FNV-1a: the hash only
  // tells configurations apart, it guards nothing.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : config.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string find_or_create_agent(ApiClient& api, json agent_request) {
  std::string hash = agent_config_hash(agent_request);
  std::string page;
  for (;;) {
    auto list = api.get("/v1/agents?limit=100" + (page.empty() ? "" : "&page=" + page));
    for (const auto& a : list["data"]) {
      const json& meta = a.value("metadata", json::object());
      if (a.value("archived_at", json()).is_null() && meta.is_object() &&
          meta.value(kRunConfigKey, "") == hash)
        return a["id"];
    }
    if (list.value("next_page", json()).is_null()) break;
    page = list["next_page"];
  }
  agent_request["metadata"][kRunConfigKey] = hash;
  return api.post("/v1/agents", agent_request)["id"];
}

}  // namespace cove::client
