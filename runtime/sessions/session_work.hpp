// SessionWork: a session's work, one batch of queued user events at a time. The events are
// marked processed and the session goes running; messages, confirmations and custom tool
// results are applied (each event type has its handler); confirmed tool calls run; then the
// agent loop takes turns (AgentTurn) until the session can go idle again.
//
// What the work runs on (the sandbox, MCP servers, the model) comes from a SessionSetup,
// built on the first batch that needs it; tests give one with an in-memory model and fake
// tools, so whole turns run without root or a sandbox.
//
// Threading: owned and used by the session's thread (SessionWorker). Failure: on_events
// reports what goes wrong as session.error events and leaves the session idle; it throws
// nothing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "runtime/sessions/agent_turn.hpp"
#include "runtime/sessions/session_events.hpp"
#include "runtime/sessions/session_runner.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::sessions {

// What a session's turns run on, built by set-up (session_setup.cpp) on first use.
class SessionSetup {
 public:
  virtual ~SessionSetup() = default;
  // Builds the session's environment (its agent's MCP servers, its resources, environment
  // and vaults) on first use, adding the MCP servers' tools to `toolbox`. True when ready.
  // False when the session could not start: that was reported (session.error) and the
  // session went idle.
  virtual bool ensure_ready(const domain::Session& session, Toolbox& toolbox,
                            EventWriter& events) = 0;
  // True once ensure_ready() returned true (the environment is up).
  virtual bool ready() const { return false; }
  // The sandbox and working directory, once ready (nullptr without a sandbox).
  virtual sandbox::Sandbox* sandbox() { return nullptr; }
  virtual std::string workdir() const { return "/workspace"; }
  // Valid once ensure_ready() returned true.
  virtual ModelClient& model() = 0;
  virtual ToolRunner& tools() = 0;
};

class SessionWork {
 public:
  // Takes the user.interrupt events still queued (their ids): an interrupt ends the turn
  // and is marked processed with it.
  using TakeInterrupts = std::function<std::vector<std::string>()>;

  SessionWork(EventLog& log, std::string session_id, const RunnerConfig& config,
              std::unique_ptr<SessionSetup> setup, TakeInterrupts take_interrupts);

  // Handles one batch of woken events; `stop` fires on an interrupt or when the session
  // closes.
  void on_events(const std::vector<WokenEvent>& woken, std::stop_token stop);

  // True while the set-up's environment (the sandbox) is up.
  bool environment_ready() const { return setup_->ready(); }
  // Builds the environment without a turn (for a command from outside the agent loop);
  // true when it is up. Failures are reported like a turn's set-up (session.error).
  bool prepare();
  SessionSetup& setup() { return *setup_; }

 private:
  struct Confirmation {
    PendingTool call;
    store::Event event;
  };
  // What a batch of user events asks for, besides new history.
  struct UserInput {
    bool interrupted = false;
    std::vector<Confirmation> confirmations;
  };
  using Handler = void (SessionWork::*)(const store::Event&, UserInput&);
  static const std::map<std::string, Handler>& handlers();

  void handle(const std::vector<WokenEvent>& woken);
  void load(const domain::Session& session, int64_t created_ms,
            const std::vector<WokenEvent>& skip);
  std::vector<store::Event> read(const std::vector<WokenEvent>& woken);
  bool start(const std::vector<store::Event>& events);
  UserInput apply(const std::vector<store::Event>& events);
  void run_confirmations(const std::vector<Confirmation>& confirmations);
  void finish(TurnEnd end);
  void interrupted();
  void refuse(const store::Event& e, const std::string& problem);

  // The user event handlers.
  void on_message(const store::Event& e, UserInput& input);
  void on_interrupt(const store::Event& e, UserInput& input);
  void on_confirmation(const store::Event& e, UserInput& input);
  void on_custom_tool_result(const store::Event& e, UserInput& input);
  void on_define_outcome(const store::Event& e, UserInput& input);
  void on_tool_result(const store::Event& e, UserInput& input);

  bool stopped() const { return stop_.stop_requested(); }

  EventLog& log_;
  std::string id_;
  RunnerConfig config_;
  std::unique_ptr<SessionSetup> setup_;
  TakeInterrupts take_interrupts_;
  std::stop_token stop_;
  bool loaded_ = false;
  std::unique_ptr<Toolbox> toolbox_;
  Conversation conversation_;
  EventWriter events_;
};

}  // namespace cove::sessions
