// AgentTurn: one turn of the agent loop (DESIGN.md "Session start", step 4). The model is
// asked, what it says is recorded, the tools it called run, and the model is asked again,
// until it ends its turn, a tool call waits for the client (requires_action), the turn is
// interrupted, or retries or the request budget run out. Every step is an event, durable
// before it is streamed.
//
// The turn reaches the model only through ModelClient, the tools only through ToolRunner and
// the event log only through EventWriter, so a test drives whole turns with an in-memory
// model and fake tools. It never writes the final session.status_idle: it returns how it
// ended and the caller ends the turn (SessionWork::finish).
//
// Threading: runs on the session's thread and blocks until the turn ends; `stop` (an
// interrupt) ends it early. Failure: model errors become session.error events (retried or
// not) and a TurnEnd; only the event log throws (SessionGone).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/domain/agent.hpp"
#include "runtime/models/provider.hpp"
#include "runtime/sessions/session_events.hpp"
#include "runtime/sessions/tool_calls.hpp"
#include "runtime/sessions/toolbox.hpp"

namespace cove::sessions {

struct RunnerConfig;

// One model request of the session's model.
class ModelClient {
 public:
  virtual ~ModelClient() = default;
  // Streams the reply into `sink`. Throws models::ModelError (kind interrupted once `stop`
  // fired); never retries by itself (the turn does).
  virtual models::ModelReply complete(const models::ModelRequest& request,
                                      const models::StreamSink& sink, std::stop_token stop) = 0;
};

struct TurnConfig {
  std::string system;  // the agent's system prompt; empty: none
  // Model request retries on 429, 5xx and overloaded replies, with exponential backoff.
  int max_retries = 4;
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{30000};
  // A turn that makes more model requests than this ends with a session.error.
  int max_model_requests = 200;
};
TurnConfig turn_config(const RunnerConfig& config, const domain::AgentSnapshot& agent);

enum class TurnEnd {
  end_turn,           // the model answered without calling a tool
  refusal,            // the model refused
  requires_action,    // tool calls wait for a confirmation or a custom tool result
  interrupted,        // stopped; pending calls are still to be cancelled
  retries_exhausted,  // the session.error saying why is deferred to the idle event's batch
};

class AgentTurn {
 public:
  AgentTurn(EventWriter& events, const Toolbox& toolbox, ModelClient& model, ToolRunner& tools,
            TurnConfig config, std::stop_token stop);
  TurnEnd run();

 private:
  // The stream-only previews of one model reply: which agent.message (event id, content
  // slot) each text block of the reply belongs to, and the agent.thinking ids.
  struct Previews {
    std::map<int, std::pair<std::string, int>> text_slot;
    std::map<int, std::string> thinking_id;
    std::string message_id;
    int slots = 0;
    bool last_text = false;
  };

  // agent_turn.cpp
  void run_tools(const std::vector<ToolCall>& calls);
  TurnEnd budget_spent(int requests);
  bool stopped() const { return stop_.stop_requested(); }

  // model_request.cpp
  std::variant<models::ModelReply, TurnEnd> request_model();
  std::optional<TurnEnd> failed(const models::ModelError& e, int attempt);
  std::chrono::milliseconds backoff(int attempt,
                                    std::optional<std::chrono::milliseconds> retry_after);
  bool sleep_for(std::chrono::milliseconds d);
  models::StreamSink preview_sink();
  void block_started(int index, std::string_view type);
  std::vector<ToolCall> record_reply(const models::ModelReply& reply);

  EventWriter& events_;
  const Toolbox& toolbox_;
  ModelClient& model_;
  ToolRunner& tools_;
  TurnConfig config_;
  std::stop_token stop_;
  Previews previews_;     // of the request in flight
  std::string start_id_;  // its span.model_request_start
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace cove::sessions
