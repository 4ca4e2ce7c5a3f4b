// The hash that lets `cove run` find the agent of a configuration again.
#include "runtime/client/run_agent.hpp"

#include <gtest/gtest.h>

namespace cove::client {
namespace {

using json = nlohmann::json;

json request() {
  return {{"name", "cove run"},
          {"model", "claude-sonnet-4-6"},
          {"tools", json::array({{{"type", "agent_toolset_20260401"}}})}};
}

TEST(RunAgent, EqualConfigurationsHashEquallyWhateverTheKeyOrder) {
  json reordered = json::parse(
      R"({"tools":[{"type":"agent_toolset_20260401"}],"model":"claude-sonnet-4-6","name":"cove run"})");
  EXPECT_EQ(agent_config_hash(request()), agent_config_hash(reordered));
  EXPECT_EQ(agent_config_hash(request()).size(), 16u);
}

TEST(RunAgent, MetadataIsNotPartOfTheConfiguration) {
  json with = request();
  with["metadata"] = {{kRunConfigKey, "whatever"}};
  EXPECT_EQ(agent_config_hash(request()), agent_config_hash(with));
}

TEST(RunAgent, EveryPartOfTheConfigurationChangesTheHash) {
  std::string base = agent_config_hash(request());
  json model = request();
  model["model"] = "scripted:turns.json";
  json system = request();
  system["system"] = "Be terse.";
  json tools = request();
  tools["tools"].push_back({{"type", "mcp_toolset"}, {"mcp_server_name", "github"}});
  json servers = request();
  servers["mcp_servers"] = json::array({{{"type", "url"}, {"name", "github"}, {"url", "x"}}});
  for (const json& changed : {model, system, tools, servers})
    EXPECT_NE(agent_config_hash(changed), base) << changed.dump();
}

}  // namespace
}  // namespace cove::client
