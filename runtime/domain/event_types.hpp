// The names the event stream is made of, spelled once: event types, session statuses, stop
// reasons and the error types a session.error carries. They are wire strings: changing one
// changes the API.
#pragma once

namespace cove::domain {

namespace event_type {
// Sent by clients.
inline constexpr char kUserMessage[] = "user.message";
inline constexpr char kUserInterrupt[] = "user.interrupt";
inline constexpr char kUserToolConfirmation[] = "user.tool_confirmation";
inline constexpr char kUserCustomToolResult[] = "user.custom_tool_result";
inline constexpr char kUserToolResult[] = "user.tool_result";
inline constexpr char kUserDefineOutcome[] = "user.define_outcome";
inline constexpr char kSystemMessage[] = "system.message";
// Emitted by the agent.
inline constexpr char kAgentMessage[] = "agent.message";
inline constexpr char kAgentThinking[] = "agent.thinking";
inline constexpr char kAgentToolUse[] = "agent.tool_use";
inline constexpr char kAgentToolResult[] = "agent.tool_result";
inline constexpr char kAgentMcpToolUse[] = "agent.mcp_tool_use";
inline constexpr char kAgentMcpToolResult[] = "agent.mcp_tool_result";
inline constexpr char kAgentCustomToolUse[] = "agent.custom_tool_use";
// Emitted by the session.
inline constexpr char kSessionStatusRunning[] = "session.status_running";
inline constexpr char kSessionStatusIdle[] = "session.status_idle";
inline constexpr char kSessionStatusRescheduled[] = "session.status_rescheduled";
inline constexpr char kSessionStatusTerminated[] = "session.status_terminated";
inline constexpr char kSessionError[] = "session.error";
inline constexpr char kSessionUpdated[] = "session.updated";
inline constexpr char kSessionDeleted[] = "session.deleted";
inline constexpr char kSpanSetupStepStart[] = "span.setup_step_start";
inline constexpr char kSpanSetupStepEnd[] = "span.setup_step_end";
inline constexpr char kSpanModelRequestStart[] = "span.model_request_start";
inline constexpr char kSpanModelRequestEnd[] = "span.model_request_end";
}  // namespace event_type

// The session object's `status`.
namespace session_status {
inline constexpr char kIdle[] = "idle";
inline constexpr char kRunning[] = "running";
inline constexpr char kRescheduling[] = "rescheduling";
inline constexpr char kTerminated[] = "terminated";
}  // namespace session_status

// session.status_idle's stop_reason.type.
namespace stop_reason {
inline constexpr char kEndTurn[] = "end_turn";
inline constexpr char kRequiresAction[] = "requires_action";
inline constexpr char kRetriesExhausted[] = "retries_exhausted";
inline constexpr char kRefusal[] = "refusal";
}  // namespace stop_reason

// session.error's error.type, and its retry_status.type.
namespace session_error {
inline constexpr char kUnknown[] = "unknown_error";
inline constexpr char kModelOverloaded[] = "model_overloaded_error";
inline constexpr char kModelRateLimited[] = "model_rate_limited_error";
inline constexpr char kModelRequestFailed[] = "model_request_failed_error";
inline constexpr char kMcpAuthenticationFailed[] = "mcp_authentication_failed_error";
inline constexpr char kMcpConnectionFailed[] = "mcp_connection_failed_error";
inline constexpr char kToolUseLimitReached[] = "tool_use_limit_reached_error";
inline constexpr char kRepositoryCheckout[] = "repository_checkout_error";
// Repository failures are "repository_<kind>_error" (see repository_error_type).
inline constexpr char kRetrying[] = "retrying";
inline constexpr char kExhausted[] = "exhausted";
}  // namespace session_error

}  // namespace cove::domain
