// Agents: defaults filled in on create, versions on update, the snapshot a session keeps,
// and messages naming fields.
#include "runtime/domain/agent.hpp"

#include <gtest/gtest.h>

#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

const json kCreate = {{"name", "a"},
                      {"model", "claude-x"},
                      {"tools", {{{"type", "agent_toolset_20260401"}}}},
                      {"mcp_servers", {{{"type", "url"}, {"name", "m"}, {"url", "https://m/"}}}}};

json with_mcp_toolset(json request) {
  request["tools"].push_back({{"type", "mcp_toolset"}, {"mcp_server_name", "m"}});
  return request;
}

TEST(Agent, CreateFillsEveryDefault) {
  json wire = agent_from_create(with_mcp_toolset(kCreate), "agent_1", "t");
  EXPECT_EQ(wire["version"], 1);
  EXPECT_EQ(wire["model"], (json{{"id", "claude-x"}, {"speed", "standard"}}));
  EXPECT_TRUE(wire["description"].is_null() && wire["system"].is_null());
  EXPECT_TRUE(wire["multiagent"].is_null() && wire["archived_at"].is_null());
  EXPECT_EQ(wire["execution_identity"], (json{{"type", "service_account"}}));
  EXPECT_EQ(wire["tools"][0]["default_config"],
            (json{{"enabled", true}, {"permission_policy", {{"type", "always_allow"}}}}));
  EXPECT_EQ(wire["tools"][1]["default_config"]["permission_policy"]["type"], "always_ask");
  EXPECT_EQ(wire["metadata"], json::object());
  EXPECT_EQ(json(wire.get<Agent>()), wire);
}

TEST(Agent, ModelObjectKeepsEffortAsTypeAndEchoesOtherMembers) {
  auto model = parse_model({{"id", "m"}, {"effort", "high"}, {"inference_geo", "us"}}, "model");
  EXPECT_EQ(json(model), (json{{"id", "m"},
                               {"effort", {{"type", "high"}}},
                               {"speed", "standard"},
                               {"inference_geo", "us"}}));
  EXPECT_EQ(refusal([] {
              parse_model({{"id", "m"}, {"speed", "slow"}}, "agent.model");
            }),
            "agent.model.speed must be standard or fast");
}

TEST(Agent, UpdateMakesANewVersionOnlyWhenSomethingChanges) {
  auto agent = agent_from_create(with_mcp_toolset(kCreate), "agent_1", "t0");
  bool changed = true;
  auto same = agent_after_update(agent, {{"name", "a"}}, "t1", &changed);
  EXPECT_FALSE(changed);
  EXPECT_EQ(same.snapshot.version, 1);
  auto next = agent_after_update(agent, {{"system", "be brief"}}, "t1", &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(next.snapshot.version, 2);
  EXPECT_EQ(next.updated_at, "t1");
  EXPECT_EQ(next.created_at, "t0");
  auto cleared = agent_after_update(next, {{"system", ""}}, "t2", &changed);
  EXPECT_FALSE(cleared.snapshot.config.system);
}

TEST(Agent, SnapshotHasNoMetadataOrTimestamps) {
  auto agent = agent_from_create(with_mcp_toolset(kCreate), "agent_1", "t");
  json snap = agent.snapshot;
  EXPECT_FALSE(snap.contains("metadata") || snap.contains("created_at"));
  EXPECT_EQ(snap["type"], "agent");
  EXPECT_EQ(json(snap.get<AgentSnapshot>()), snap);
}

TEST(Agent, MessagesNameTheField) {
  EXPECT_EQ(refusal([] {
              agent_from_create({{"name", "a"}}, "agent_1", "t");
            }),
            "model is required");
  EXPECT_EQ(refusal([] { agent_from_create(kCreate, "agent_1", "t"); }),
            "mcp_servers[0] is not referenced by any mcp_toolset in tools");
  json bad_url = kCreate;
  bad_url["mcp_servers"][0]["url"] = "https://u:p@m/";
  EXPECT_EQ(refusal([&] { agent_from_create(with_mcp_toolset(bad_url), "agent_1", "t"); }),
            "mcp_servers[0].url must not contain credentials; keep the token in a vault");
  json bad_tool = {{{"type", "agent_toolset_20260401"}, {"configs", {{{"name", "rm"}}}}}};
  EXPECT_EQ(refusal([&] { parse_tools(bad_tool, "agent.tools"); }),
            "agent.tools[0].configs[0].name must be a built-in tool (bash, read, write, edit, "
            "glob, grep, web_fetch, web_search)");
  json multiagent = {{"name", "a"}, {"model", "m"}, {"multiagent", json::object()}};
  EXPECT_EQ(refusal([&] { agent_from_create(multiagent, "agent_1", "t"); }),
            "multiagent is not supported by this server");
}

}  // namespace
}  // namespace cove::domain
