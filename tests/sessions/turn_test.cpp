// Whole agent-loop turns without root, a sandbox or node (see turn_harness.hpp). Each test
// checks the events written, in order, and how the turn ended.
#include "tests/sessions/turn_harness.hpp"

namespace cove::sessions::test {
namespace {

// The events of a turn whose two tool calls were cut short by an interrupt during the first.
const std::vector<std::string> kTwoCallsInterrupted = {
    "user.message",      "session.status_running", "span.model_request_start", "agent.tool_use",
    "agent.tool_use",    "span.model_request_end", "user.interrupt",           "agent.tool_result",
    "agent.tool_result", "session.status_idle"};

TEST_F(TurnTest, ToolUseThenResultThenEndTurn) {
  start_session(json::array({toolset()}));
  tools_.tools["bash"] = [](const json& in) {
    return tools::ToolOutput::text("ran " + in.value("command", ""), false);
  };
  model_.steps = {calls({{"bash", {{"command", "ls"}}}}), says("done")};
  run({message("list the files")});

  EXPECT_EQ(types(), (std::vector<std::string>{"user.message", "session.status_running",
                                               "span.model_request_start", "agent.tool_use",
                                               "span.model_request_end", "agent.tool_result",
                                               "span.model_request_start", "agent.message",
                                               "span.model_request_end", "session.status_idle"}));
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
  EXPECT_EQ(session_status(), "idle");
  EXPECT_EQ(tools_.calls, std::vector<std::string>{"bash"});
  EXPECT_FALSE(events()[0].body["processed_at"].is_null());

  auto all = events();
  const json& use = all[3].body;
  EXPECT_EQ(use["name"], "bash");
  EXPECT_EQ(use["evaluated_permission"], "allow");
  const json& result = all[5].body;
  EXPECT_EQ(result["tool_use_id"], use["id"]);
  EXPECT_EQ(result["is_error"], false);
  EXPECT_EQ(result["content"][0]["text"], "ran ls");
  EXPECT_EQ(last("agent.message")["content"][0]["text"], "done");
  EXPECT_EQ(store_->get(id_)->body["usage"]["output_tokens"], 2);

  // The second request shows the model its call and the result.
  ASSERT_EQ(model_.requests.size(), 2u);
  const json& second = model_.requests[1];
  EXPECT_EQ(second.back()["role"], "user");
  EXPECT_EQ(second.back()["content"][0]["type"], "tool_result");
  EXPECT_EQ(second.back()["content"][0]["tool_use_id"], use["id"]);
}

TEST_F(TurnTest, AlwaysAskWaitsForAConfirmationThenRunsTheTool) {
  start_session(json::array({toolset({always_ask("bash")})}));
  tools_.tools["bash"] = [](const json&) { return tools::ToolOutput::text("ok", false); };
  model_.steps = {calls({{"bash", {{"command", "rm -rf build"}}}}), says("cleaned")};
  run({message("clean up")});

  EXPECT_EQ(types(), (std::vector<std::string>{"user.message", "session.status_running",
                                               "span.model_request_start", "agent.tool_use",
                                               "span.model_request_end", "session.status_idle"}));
  json use = last("agent.tool_use");
  EXPECT_EQ(use["evaluated_permission"], "ask");
  EXPECT_EQ(stop_reason(),
            json({{"type", "requires_action"}, {"event_ids", json::array({use["id"]})}}));
  EXPECT_TRUE(tools_.calls.empty());

  std::size_t before = events().size();
  run({{{"type", "user.tool_confirmation"}, {"tool_use_id", use["id"]}, {"result", "allow"}}});
  EXPECT_EQ(types(before), (std::vector<std::string>{
                               "user.tool_confirmation", "session.status_running",
                               "agent.tool_result", "span.model_request_start", "agent.message",
                               "span.model_request_end", "session.status_idle"}));
  EXPECT_EQ(tools_.calls, std::vector<std::string>{"bash"});
  EXPECT_EQ(last("agent.tool_result")["tool_use_id"], use["id"]);
  EXPECT_EQ(last("agent.tool_result")["is_error"], false);
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
}

TEST_F(TurnTest, ADeniedConfirmationTellsTheModelWhy) {
  start_session(json::array({toolset({always_ask("bash")})}));
  model_.steps = {calls({{"bash", {{"command", "reboot"}}}}), says("understood")};
  run({message("restart it")});
  json use = last("agent.tool_use");
  ASSERT_EQ(stop_reason()["type"], "requires_action");

  run({{{"type", "user.tool_confirmation"},
        {"tool_use_id", use["id"]},
        {"result", "deny"},
        {"deny_message", "not on a Friday"}}});
  EXPECT_TRUE(tools_.calls.empty());
  json result = last("agent.tool_result");
  EXPECT_EQ(result["tool_use_id"], use["id"]);
  EXPECT_EQ(result["is_error"], true);
  EXPECT_EQ(result["content"][0]["text"], "the user denied this tool call: not on a Friday");
  ASSERT_EQ(model_.requests.size(), 2u);
  EXPECT_EQ(model_.requests[1].back()["content"][0]["is_error"], true);
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
}

TEST_F(TurnTest, AnInterruptEndsTheTurnBetweenTools) {
  start_session(json::array({toolset({always_ask("write")})}));
  std::string interrupt;
  tools_.tools["bash"] = [&](const json&) {
    // The user interrupts while bash runs: the worker queues the event and stops the work.
    interrupt = send({{"type", "user.interrupt"}});
    queued_interrupts_.push_back(interrupt);
    stop_.request_stop();
    return tools::ToolOutput::text("partial", false);
  };
  model_.steps = {calls({{"bash", {{"command", "make"}}}, {"write", {{"file_path", "/x"}}}}),
                  says("never asked")};
  run({message("build it")});

  EXPECT_EQ(types(), kTwoCallsInterrupted);
  auto all = events();
  EXPECT_EQ(all[7].body["content"][0]["text"], "partial");
  // The call that waited for a confirmation is cancelled, so the history stays well formed.
  EXPECT_EQ(all[8].body["tool_use_id"], all[4].body["id"]);
  EXPECT_EQ(all[8].body["is_error"], true);
  EXPECT_EQ(all[8].body["content"][0]["text"], "interrupted by the user");
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
  EXPECT_FALSE(all[6].body["processed_at"].is_null());
  EXPECT_EQ(model_.requests.size(), 1u);
  EXPECT_EQ(session_status(), "idle");
}

// An interrupt between two allowed calls: the call that never ran still gets a result (an
// error saying why), so no tool_use is left without its tool_result in the history.
TEST_F(TurnTest, AnInterruptAnswersTheAllowedCallsThatDidNotRun) {
  start_session(json::array({toolset()}));
  tools_.tools["bash"] = [&](const json&) {
    queued_interrupts_.push_back(send({{"type", "user.interrupt"}}));
    stop_.request_stop();
    return tools::ToolOutput::text("first", false);
  };
  model_.steps = {calls({{"bash", {{"command", "one"}}}, {"bash", {{"command", "two"}}}}),
                  says("never asked")};
  run({message("run both")});

  EXPECT_EQ(types(), kTwoCallsInterrupted);
  auto all = events();
  EXPECT_EQ(all[7].body["tool_use_id"], all[3].body["id"]);
  EXPECT_EQ(all[8].body["tool_use_id"], all[4].body["id"]);
  EXPECT_EQ(all[8].body["is_error"], true);
  EXPECT_EQ(all[8].body["content"][0]["text"], "interrupted by the user");
  EXPECT_EQ(tools_.calls.size(), 1u);
}

TEST_F(TurnTest, AnOverloadedModelIsRetried) {
  start_session(json::array({toolset()}));
  model_.steps = {fails(ModelErrorKind::overloaded), says("hello")};
  run({message("hi")});

  EXPECT_EQ(types(), (std::vector<std::string>{
                         "user.message", "session.status_running", "span.model_request_start",
                         "span.model_request_end", "session.error", "session.status_rescheduled",
                         "session.status_running", "span.model_request_start", "agent.message",
                         "span.model_request_end", "session.status_idle"}));
  json error = last("session.error")["error"];
  EXPECT_EQ(error["type"], "model_overloaded_error");
  EXPECT_EQ(error["retry_status"], json({{"type", "retrying"}}));
  EXPECT_EQ(events()[3].body["is_error"], true);
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
  EXPECT_EQ(session_status(), "idle");
}

TEST_F(TurnTest, RetriesRunOut) {
  config_.max_retries = 1;
  start_session(json::array({toolset()}));
  model_.steps = {fails(ModelErrorKind::server), fails(ModelErrorKind::server), says("late")};
  run({message("hi")});

  EXPECT_EQ(types(), (std::vector<std::string>{
                         "user.message", "session.status_running", "span.model_request_start",
                         "span.model_request_end", "session.error", "session.status_rescheduled",
                         "session.status_running", "span.model_request_start",
                         "span.model_request_end", "session.error", "session.status_idle"}));
  json error = last("session.error")["error"];
  EXPECT_EQ(error["type"], "model_request_failed_error");
  EXPECT_EQ(error["retry_status"], json({{"type", "exhausted"}}));
  EXPECT_EQ(stop_reason(), json({{"type", "retries_exhausted"}}));
  EXPECT_EQ(model_.requests.size(), 2u);
  EXPECT_EQ(session_status(), "idle");
}

TEST_F(TurnTest, ARequestTheModelRejectsIsNotRetried) {
  start_session(json::array({toolset()}));
  model_.steps = {fails(ModelErrorKind::request_failed), says("never")};
  run({message("hi")});
  EXPECT_EQ(last("session.error")["error"]["retry_status"], json({{"type", "exhausted"}}));
  EXPECT_EQ(stop_reason(), json({{"type", "retries_exhausted"}}));
  EXPECT_EQ(model_.requests.size(), 1u);
}

TEST_F(TurnTest, ACustomToolWaitsForTheClientsResult) {
  json lookup = {{"type", "custom"},
                 {"name", "lookup"},
                 {"description", "looks a word up"},
                 {"input_schema", {{"type", "object"}}}};
  start_session(json::array({lookup}));
  model_.steps = {calls({{"lookup", {{"word", "cove"}}}}), says("a small bay")};
  run({message("what is a cove?")});

  EXPECT_EQ(types(), (std::vector<std::string>{"user.message", "session.status_running",
                                               "span.model_request_start", "agent.custom_tool_use",
                                               "span.model_request_end", "session.status_idle"}));
  json use = last("agent.custom_tool_use");
  EXPECT_EQ(use["name"], "lookup");
  EXPECT_EQ(stop_reason(),
            json({{"type", "requires_action"}, {"event_ids", json::array({use["id"]})}}));

  std::size_t before = events().size();
  run({{{"type", "user.custom_tool_result"},
        {"custom_tool_use_id", use["id"]},
        {"content", {{{"type", "text"}, {"text", "a small sheltered bay"}}}}}});
  EXPECT_EQ(types(before),
            (std::vector<std::string>{"user.custom_tool_result", "session.status_running",
                                      "span.model_request_start", "agent.message",
                                      "span.model_request_end", "session.status_idle"}));
  EXPECT_TRUE(tools_.calls.empty());
  ASSERT_EQ(model_.requests.size(), 2u);
  const json& result = model_.requests[1].back()["content"][0];
  EXPECT_EQ(result["tool_use_id"], use["id"]);
  EXPECT_EQ(result["content"][0]["text"], "a small sheltered bay");
  EXPECT_EQ(stop_reason(), json({{"type", "end_turn"}}));
}

TEST_F(TurnTest, AnUnknownConfirmationIsAnErrorAndTheSessionStaysIdle) {
  start_session(json::array({toolset()}));
  run({{{"type", "user.tool_confirmation"}, {"tool_use_id", "sevt_nothing"}, {"result", "allow"}}});
  EXPECT_EQ(types(), (std::vector<std::string>{"user.tool_confirmation", "session.status_running",
                                               "session.error", "session.status_idle"}));
  EXPECT_EQ(last("session.error")["error"]["type"], "unknown_error");
  EXPECT_EQ(last("session.error")["error"]["message"],
            "user.tool_confirmation names sevt_nothing, which is not a tool call waiting for "
            "confirmation");
  EXPECT_TRUE(model_.requests.empty());
}

TEST_F(TurnTest, AStoredAgentThatDoesNotParseIsASessionError) {
  // Before, a snapshot without a model ran with the model id "" (read with a default).
  start_session_stored({{"id", id_},
                        {"status", "idle"},
                        {"environment_id", "env_turn"},
                        {"agent", {{"id", "agent_x"}, {"version", 1}, {"name", "x"}}}});
  run({message("hello")});
  EXPECT_EQ(types(),
            (std::vector<std::string>{"user.message", "session.error", "session.status_idle"}));
  json error = last("session.error")["error"];
  EXPECT_EQ(error["type"], "unknown_error");
  EXPECT_EQ(error["retry_status"], json({{"type", "exhausted"}}));
  std::string message = error["message"];
  EXPECT_EQ(message.rfind("the stored session sesn_turn does not parse: agent.model", 0), 0u)
      << message;
  EXPECT_EQ(stop_reason(), json({{"type", "retries_exhausted"}}));
  EXPECT_EQ(session_status(), "idle");
  EXPECT_TRUE(model_.requests.empty());
}

TEST_F(TurnTest, TheRequestBudgetEndsALoopingTurn) {
  config_.max_model_requests_per_turn = 2;
  start_session(json::array({toolset()}));
  tools_.tools["read"] = [](const json&) { return tools::ToolOutput::text("same", false); };
  model_.steps = {calls({{"read", {{"file_path", "/a"}}}}),
                  calls({{"read", {{"file_path", "/a"}}}})};
  run({message("read forever")});
  json error = last("session.error")["error"];
  EXPECT_EQ(error["type"], "tool_use_limit_reached_error");
  EXPECT_EQ(error["retry_status"], json({{"type", "exhausted"}}));
  EXPECT_EQ(stop_reason(), json({{"type", "retries_exhausted"}}));
  EXPECT_EQ(model_.requests.size(), 2u);
  // The last result is recorded before the error.
  auto t = types();
  EXPECT_EQ(
      std::vector<std::string>(t.end() - 3, t.end()),
      (std::vector<std::string>{"agent.tool_result", "session.error", "session.status_idle"}));
}

}  // namespace
}  // namespace cove::sessions::test
