// Units of the agent loop that need no sandbox or model: tool policies and the history that
// is rebuilt from events.
#include <gtest/gtest.h>

#include "runtime/sessions/history.hpp"
#include "runtime/sessions/toolbox.hpp"

namespace cove::sessions {
namespace {

json toolset(json configs = json::array(), json defaults = json::object()) {
  return {{"type", "agent_toolset_20260401"}, {"default_config", defaults}, {"configs", configs}};
}

TEST(Toolbox, BuiltinsDefaultToAllowAndFollowTheirConfig) {
  Toolbox box(
      json::array({toolset({{{"name", "bash"}, {"permission_policy", {{"type", "always_ask"}}}},
                            {{"name", "web_search"}, {"enabled", false}}})}));
  EXPECT_EQ(box.decide("read", {}).policy, Policy::allow);
  EXPECT_EQ(box.decide("read", {}).evaluation, json({{"type", "always_allow"}}));
  EXPECT_EQ(box.decide("bash", {}).policy, Policy::ask);
  EXPECT_EQ(box.decide("bash", {}).evaluation, json({{"type", "always_ask"}}));
  // Disabled tools are not offered, and a call to one is denied without an evaluation.
  EXPECT_EQ(box.find("web_search"), nullptr);
  auto denied = box.decide("web_search", {});
  EXPECT_EQ(denied.policy, Policy::deny);
  EXPECT_TRUE(denied.evaluation.is_null());
  EXPECT_NE(denied.reason.find("web_search"), std::string::npos);
  std::vector<std::string> names;
  for (const auto& d : box.definitions())
    names.push_back(d["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"bash", "read", "write", "edit", "glob", "grep",
                                             "web_fetch"}));
  EXPECT_EQ(box.definitions()[1]["input_schema"]["required"], json::array({"file_path"}));
}

TEST(Toolbox, DisabledByDefaultWithAnAllowList) {
  Toolbox box(
      json::array({toolset({{{"name", "read"}, {"enabled", true}}}, {{"enabled", false}})}));
  ASSERT_EQ(box.definitions().size(), 1u);
  EXPECT_EQ(box.definitions()[0]["name"], "read");
}

TEST(Toolbox, AutoLetsReadOnlyToolsRunAndAsksAboutOthers) {
  Toolbox box(json::array({toolset(json::array(), {{"permission_policy", {{"type", "auto"}}}})}));
  EXPECT_EQ(box.decide("grep", {}).policy, Policy::allow);
  auto bash = box.decide("bash", {});
  EXPECT_EQ(bash.policy, Policy::ask);
  EXPECT_EQ(bash.evaluation["evaluated_permission"]["reason_code"], "indeterminate");
}

TEST(Toolbox, McpToolsetsAskByDefaultAndUsePrefixedNames) {
  Toolbox box(json::array(
      {{{"type", "mcp_toolset"},
        {"mcp_server_name", "github"},
        {"default_config", {{"enabled", true}, {"permission_policy", {{"type", "always_ask"}}}}},
        {"configs", json::array({{{"name", "get_file_contents"},
                                  {"enabled", true},
                                  {"permission_policy", {{"type", "always_allow"}}}},
                                 {{"name", "merge_pull_request"}, {"enabled", false}}})}}}));
  EXPECT_EQ(box.mcp_servers(), std::vector<std::string>{"github"});
  box.add_mcp_tools("github", {{{"name", "get_file_contents"}, {"input_schema", json::object()}},
                               {{"name", "create_pull_request"}},
                               {{"name", "merge_pull_request"}}});
  auto* e = box.find("mcp__github__get_file_contents");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, ToolKind::mcp);
  EXPECT_EQ(e->name, "get_file_contents");
  EXPECT_EQ(box.decide("mcp__github__get_file_contents", {}).policy, Policy::allow);
  EXPECT_EQ(box.decide("mcp__github__create_pull_request", {}).policy, Policy::ask);
  EXPECT_EQ(box.find("mcp__github__merge_pull_request"), nullptr);
  // An empty schema becomes a valid object schema for the model.
  EXPECT_EQ(e->definition["input_schema"]["type"], "object");
  EXPECT_EQ(Toolbox::mcp_model_name("my server", "a.b"), "mcp__my_server__a_b");
}

TEST(Toolbox, CustomToolsWaitForTheClient) {
  Toolbox box(json::array({{{"type", "custom"},
                            {"name", "lookup"},
                            {"description", "d"},
                            {"input_schema", {{"type", "object"}}}}}));
  EXPECT_EQ(box.find("lookup")->kind, ToolKind::custom);
  EXPECT_EQ(box.decide("lookup", {}).policy, Policy::ask);
}

store::Event event(const std::string& id, json body) {
  store::Event e;
  e.id = id;
  e.type = body["type"];
  body["id"] = id;
  e.body = std::move(body);
  return e;
}

TEST(History, RebuildsTheConversationFromEvents) {
  History h;
  std::vector<PendingTool> pending;
  h.apply(event("e1", {{"type", "user.message"},
                       {"content", json::array({{{"type", "text"}, {"text", "hi"}}})}}),
          pending);
  h.apply(event("e2", {{"type", "agent.message"},
                       {"content", json::array({{{"type", "text"}, {"text", "ok"}}})}}),
          pending);
  h.apply(event("e3", {{"type", "agent.tool_use"},
                       {"name", "bash"},
                       {"input", {{"command", "ls"}}},
                       {"evaluated_permission", "allow"}}),
          pending);
  h.apply(event("e4", {{"type", "agent.mcp_tool_use"},
                       {"mcp_server_name", "gh"},
                       {"name", "list"},
                       {"input", json::object()},
                       {"evaluated_permission", "ask"}}),
          pending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].event_id, "e4");
  EXPECT_FALSE(h.awaiting_model());
  h.apply(event("e5", {{"type", "agent.tool_result"},
                       {"tool_use_id", "e3"},
                       {"content", json::array({{{"type", "text"}, {"text", "a\n"}}})},
                       {"is_error", false}}),
          pending);
  h.apply(event("e6", {{"type", "agent.mcp_tool_result"},
                       {"mcp_tool_use_id", "e4"},
                       {"content", json::array({{{"type", "text"}, {"text", "no"}}})},
                       {"is_error", true}}),
          pending);
  EXPECT_TRUE(pending.empty());
  EXPECT_TRUE(h.awaiting_model());
  const json& m = h.messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1]["role"], "assistant");
  ASSERT_EQ(m[1]["content"].size(), 3u);
  EXPECT_EQ(m[1]["content"][1]["id"], "e3");
  EXPECT_EQ(m[1]["content"][2]["name"], "mcp__gh__list");
  EXPECT_EQ(m[2]["content"][0]["tool_use_id"], "e3");
  EXPECT_EQ(m[2]["content"][1]["tool_use_id"], "e4");
  EXPECT_EQ(m[2]["content"][1]["is_error"], true);
  EXPECT_FALSE(m[2]["content"][0].contains("is_error"));
}

TEST(History, ToolResultsStayAheadOfUserTextInOneMessage) {
  History h;
  std::vector<PendingTool> pending;
  h.apply(event("c1",
                {{"type", "agent.custom_tool_use"}, {"name", "lookup"}, {"input", json::object()}}),
          pending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0].custom());
  h.add("user", json::array({{{"type", "text"}, {"text", "also this"}}}));
  h.apply(event("r1", {{"type", "user.custom_tool_result"},
                       {"custom_tool_use_id", "c1"},
                       {"content", json::array({{{"type", "text"}, {"text", "42"}}})}}),
          pending);
  EXPECT_TRUE(pending.empty());
  const json& content = h.messages().back()["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["type"], "tool_result");
  EXPECT_EQ(content[1]["type"], "text");
}

}  // namespace
}  // namespace cove::sessions
