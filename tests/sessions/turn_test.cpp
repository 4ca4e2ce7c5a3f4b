// Whole agent-loop turns without root, a sandbox or node: a session's work (SessionWork and
// AgentTurn) over a real store in a temporary directory, with an in-memory model and fake
// tools behind ModelClient and ToolRunner. Each test checks the events written, in order,
// and how the turn ended.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <utility>

#include "runtime/sessions/session_work.hpp"

namespace cove::sessions {
namespace {

using models::ModelErrorKind;
using models::ModelReply;

// A scripted model: each request takes the next step, which answers or throws.
class FakeModel final : public ModelClient {
 public:
  using Step = std::function<ModelReply(std::stop_token)>;
  std::deque<Step> steps;
  std::vector<json> requests;  // the messages of each request

  ModelReply complete(const models::ModelRequest& request, const models::StreamSink&,
                      std::stop_token stop) override {
    requests.push_back(request.messages);
    if (steps.empty()) throw std::runtime_error("the model script has no more steps");
    auto step = std::move(steps.front());
    steps.pop_front();
    return step(stop);
  }
};

// Tools by name; every call is remembered.
class FakeTools final : public ToolRunner {
 public:
  std::map<std::string, std::function<tools::ToolOutput(const json&)>> tools;
  std::vector<std::string> calls;

  tools::ToolOutput run(const PendingTool& call, std::stop_token) override {
    calls.push_back(call.name);
    auto it = tools.find(call.name);
    if (it == tools.end()) return tools::ToolOutput::text("no fake for " + call.name, true);
    return it->second(call.input);
  }
};

class FakeSetup final : public SessionSetup {
 public:
  FakeSetup(FakeModel& model, FakeTools& tools) : model_(model), tools_(tools) {}
  bool ensure_ready(const json&, Toolbox&, EventWriter&) override { return true; }
  ModelClient& model() override { return model_; }
  ToolRunner& tools() override { return tools_; }

 private:
  FakeModel& model_;
  FakeTools& tools_;
};

FakeModel::Step says(const std::string& text) {
  return [text](std::stop_token) {
    ModelReply r;
    r.content = json::array({{{"type", "text"}, {"text", text}}});
    r.stop_reason = "end_turn";
    r.usage.input_tokens = 10;
    r.usage.output_tokens = 2;
    return r;
  };
}

FakeModel::Step calls(std::vector<std::pair<std::string, json>> tool_uses) {
  return [tool_uses](std::stop_token) {
    ModelReply r;
    for (const auto& [name, input] : tool_uses)
      r.content.push_back(
          {{"type", "tool_use"}, {"id", "toolu_" + name}, {"name", name}, {"input", input}});
    r.stop_reason = "tool_use";
    return r;
  };
}

FakeModel::Step fails(ModelErrorKind kind) {
  return [kind](std::stop_token) -> ModelReply {
    throw models::ModelError(kind, "the model is unwell", 529);
  };
}

json toolset(json configs = json::array()) {
  return {{"type", "agent_toolset_20260401"}, {"configs", configs}};
}

json always_ask(const std::string& tool) {
  return {{"name", tool}, {"permission_policy", {{"type", "always_ask"}}}};
}

class TurnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cove-turn-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = store::open_sqlite_store((dir_ / "cove.db").string());
    log_ = std::make_unique<EventLog>(*store_);
    config_.max_retries = 2;
    config_.retry_base = std::chrono::milliseconds(1);
    config_.retry_max = std::chrono::milliseconds(2);
  }

  void TearDown() override {
    work_.reset();
    log_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A session whose agent has these tools; the work for it starts now.
  void start_session(json tools) {
    store::Object s;
    s.kind = "session";
    s.id = id_;
    s.created_ms = 1;
    s.body = {{"id", id_},
              {"status", "idle"},
              {"agent", {{"model", "fake"}, {"system", "be brief"}, {"tools", tools}}}};
    store::WriteBatch b;
    b.put(std::move(s));
    ASSERT_EQ(store_->commit(std::move(b)).status, store::Status::ok);
    work_ = std::make_unique<SessionWork>(*log_, id_, config_,
                                          std::make_unique<FakeSetup>(model_, tools_),
                                          [this] { return std::exchange(queued_interrupts_, {}); });
  }

  // Appends a user event as the API does (not yet processed); returns its id.
  std::string send(json event) {
    std::string id = "sevt_user" + std::to_string(++sent_);
    event["id"] = id;
    event["processed_at"] = nullptr;
    store::WriteBatch b;
    b.append_event(id_, id, event["type"], 1, event);
    EXPECT_EQ(store_->commit(std::move(b)).status, store::Status::ok);
    return id;
  }

  // Sends the events and runs the work they start until the session is idle again.
  void run(std::vector<json> events) {
    std::vector<WokenEvent> woken;
    for (auto& e : events) {
      std::string type = e["type"];
      woken.push_back({send(std::move(e)), type});
    }
    stop_ = std::stop_source();
    work_->on_events(woken, stop_.get_token());
  }

  static json message(const std::string& text) {
    return {{"type", "user.message"}, {"content", {{{"type", "text"}, {"text", text}}}}};
  }

  std::vector<store::Event> events() {
    store::EventQuery q;
    q.session_id = id_;
    q.limit = 1000;
    return store_->events(q, nullptr);
  }

  // The types of the events after the first `skip`, in log order.
  std::vector<std::string> types(std::size_t skip = 0) {
    std::vector<std::string> out;
    auto all = events();
    for (std::size_t i = skip; i < all.size(); ++i)
      out.push_back(all[i].type);
    return out;
  }

  // The last event of a type.
  json last(const std::string& type) {
    json found;
    for (const auto& e : events())
      if (e.type == type) found = e.body;
    return found;
  }

  std::string session_status() { return store_->get(id_)->body.value("status", ""); }

  json stop_reason() { return last("session.status_idle")["stop_reason"]; }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<EventLog> log_;
  RunnerConfig config_;
  std::string id_ = "sesn_turn";
  FakeModel model_;
  FakeTools tools_;
  std::unique_ptr<SessionWork> work_;
  std::stop_source stop_;
  std::vector<std::string> queued_interrupts_;
  int sent_ = 0;
};

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

  EXPECT_EQ(types(),
            (std::vector<std::string>{
                "user.message", "session.status_running", "span.model_request_start",
                "agent.tool_use", "agent.tool_use", "span.model_request_end", "user.interrupt",
                "agent.tool_result", "agent.tool_result", "session.status_idle"}));
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
}  // namespace cove::sessions
