#include "runtime/sessions/agent_turn.hpp"

#include <algorithm>

#include "runtime/sessions/session_runner.hpp"

namespace cove::sessions {

TurnConfig turn_config(const RunnerConfig& config, const domain::AgentSnapshot& agent) {
  TurnConfig t;
  t.system = agent.config.system.value_or("");
  t.max_retries = config.max_retries;
  t.retry_base = config.retry_base;
  t.retry_max = config.retry_max;
  t.max_model_requests = config.max_model_requests_per_turn;
  return t;
}

AgentTurn::AgentTurn(EventWriter& events, const Toolbox& toolbox, ModelClient& model,
                     ToolRunner& tools, TurnConfig config, std::stop_token stop)
    : events_(events),
      toolbox_(toolbox),
      model_(model),
      tools_(tools),
      config_(std::move(config)),
      stop_(std::move(stop)) {}

TurnEnd AgentTurn::run() {
  for (int requests = 0;; ++requests) {
    if (stopped()) return TurnEnd::interrupted;
    if (requests >= config_.max_model_requests) return budget_spent(requests);
    auto answer = request_model();  // span, stream previews, retries
    if (auto* end = std::get_if<TurnEnd>(&answer)) return *end;
    const auto& reply = std::get<models::ModelReply>(answer);
    auto calls = record_reply(reply);  // agent.message / thinking / *_tool_use, span end
    if (calls.empty())                 // the Messages API's stop_reason
      return reply.stop_reason == "refusal" ? TurnEnd::refusal : TurnEnd::end_turn;
    run_tools(calls);  // agent.*tool_result; calls that ask stay pending
    if (stopped()) return TurnEnd::interrupted;
    if (!events_.conversation().pending.empty()) return TurnEnd::requires_action;
  }
}

// Runs the calls the policy allows; a denied call gets its reason as an error result, a call
// that asks waits for the client, and after an interrupt the calls left get an error result.
void AgentTurn::run_tools(const std::vector<ToolCall>& calls) {
  // The last result before the next model request rides on that request's start.
  std::size_t last_run = calls.size();
  for (std::size_t i = 0; i < calls.size(); ++i)
    if (calls[i].policy != Policy::ask) last_run = i;
  bool next_is_model = std::none_of(calls.begin(), calls.end(),
                                    [](const ToolCall& c) { return c.policy == Policy::ask; });
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto& c = calls[i];
    if (c.policy == Policy::ask) continue;
    if (stopped()) {  // every tool_use gets its tool_result, or the next request is malformed
      record_result(events_, c.use, tools::ToolOutput::text(kInterrupted, true), false);
      continue;
    }
    bool deferred = next_is_model && i == last_run;
    if (c.policy == Policy::deny)
      record_result(events_, c.use, tools::ToolOutput::text(c.deny_reason, true), deferred);
    else
      record_result(events_, c.use, tools_.run(c.use, stop_), deferred);
  }
}

// The error rides on the idle event's batch.
TurnEnd AgentTurn::budget_spent(int requests) {
  events_.defer(EventWriter::error_event(
      domain::session_error::kToolUseLimitReached,
      "the turn made " + std::to_string(requests) + " model requests; cove stops a turn there",
      domain::session_error::kExhausted));
  return TurnEnd::retries_exhausted;
}

}  // namespace cove::sessions
