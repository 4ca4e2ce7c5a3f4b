// The harness of turn_test.cpp: a session's work (SessionWork) over a real store in a
// temporary directory, with a scripted in-memory model and fake tools behind ModelClient and
// ToolRunner. Needs no root, sandbox or node.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <utility>

#include "runtime/sessions/session_work.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::sessions::test {

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
  bool ensure_ready(const domain::Session&, Toolbox&, EventWriter&) override { return true; }
  ModelClient& model() override { return model_; }
  ToolRunner& tools() override { return tools_; }

 private:
  FakeModel& model_;
  FakeTools& tools_;
};

inline FakeModel::Step says(const std::string& text) {
  return [text](std::stop_token) {
    ModelReply r;
    r.content = json::array({{{"type", "text"}, {"text", text}}});
    r.stop_reason = "end_turn";
    r.usage.input_tokens = 10;
    r.usage.output_tokens = 2;
    return r;
  };
}

inline FakeModel::Step calls(std::vector<std::pair<std::string, json>> tool_uses) {
  return [tool_uses](std::stop_token) {
    ModelReply r;
    for (const auto& [name, input] : tool_uses)
      r.content.push_back(
          {{"type", "tool_use"}, {"id", "toolu_" + name}, {"name", name}, {"input", input}});
    r.stop_reason = "tool_use";
    return r;
  };
}

inline FakeModel::Step fails(ModelErrorKind kind) {
  return [kind](std::stop_token) -> ModelReply {
    throw models::ModelError(kind, "the model is unwell", 529);
  };
}

inline json toolset(json configs = json::array()) {
  return {{"type", "agent_toolset_20260401"}, {"configs", configs}};
}

inline json always_ask(const std::string& tool) {
  return {{"name", tool}, {"permission_policy", {{"type", "always_ask"}}}};
}

class TurnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_sqlite_store((dir_.path() / "cove.db").string());
    log_ = std::make_unique<EventLog>(*store_);
    config_.max_retries = 2;
    config_.retry_base = std::chrono::milliseconds(1);
    config_.retry_max = std::chrono::milliseconds(2);
  }

  void TearDown() override {
    work_.reset();
    log_.reset();
    store_.reset();
  }

  // A session whose agent has these tools; the work for it starts now.
  void start_session(json tools) {
    domain::Session session;
    session.id = id_;
    session.environment_id = "env_turn";
    session.agent.id = "agent_turn";
    session.agent.name = "turn";
    session.agent.config.model.id = "fake";
    session.agent.config.system = "be brief";
    session.agent.config.tools = domain::parse_tools(tools, "tools");
    start_session_stored(session);
  }

  // A session stored with this body (which need not parse); the work for it starts now.
  void start_session_stored(json body) {
    store::Object s;
    s.kind = "session";
    s.id = id_;
    s.created_ms = 1;
    s.body = std::move(body);
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

  cove::test::TempDir dir_{"cove-turn"};
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

}  // namespace cove::sessions::test
