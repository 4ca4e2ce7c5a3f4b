// Tool calls: how the agent loop records the tools the model calls and their results, and
// the ToolRunner that runs them. A call's use event is recorded with the permission policy's
// decision (allow, ask, deny); a call that asks, and every custom tool call, waits for the
// client (requires_action). Every call ends with exactly one result event, also when it is
// denied, cancelled or interrupted, so the history stays well formed.
//
// Threading: used from the session's thread only. Failure: a tool that fails gives an error
// result for the model; only the event log's commit throws (SessionGone).
#pragma once

#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "runtime/sessions/session_events.hpp"
#include "runtime/sessions/toolbox.hpp"
#include "runtime/tools/tools.hpp"

namespace boost::asio {
class io_context;
}
namespace cove::mcp {
class Client;
}

namespace cove::sessions {

class SessionEnvironment;
struct RunnerShared;

// Runs built-in and MCP tool calls (custom tools are run by the client, never here).
class ToolRunner {
 public:
  virtual ~ToolRunner() = default;
  // Runs one recorded call and returns its result; failures are error results, not
  // exceptions. `stop` asks a long call to end early.
  virtual tools::ToolOutput run(const PendingTool& call, std::stop_token stop) = 0;
};

// A tool call the model made, as recorded: its use event and the policy's decision.
struct ToolCall {
  PendingTool use;
  Policy policy = Policy::allow;
  std::string deny_reason;
};

// Records a tool_use block of a model reply in `b`: agent.tool_use, agent.mcp_tool_use or
// agent.custom_tool_use, with the toolbox's decision.
ToolCall record_tool_use(EventWriter::Batch& b, const Toolbox& toolbox, const json& block);

// The result event of a call (agent.tool_result or agent.mcp_tool_result). With `deferred`,
// it is committed with the next batch (the next model request's start, which follows at once).
void record_result(EventWriter& events, const PendingTool& call, const tools::ToolOutput& out,
                   bool deferred = false);

// Tool calls that will never run get an error result, so the history stays well formed.
void cancel_pending(EventWriter& events, const std::string& why);

// The error result of a call that an interrupt kept from running or from being answered.
inline constexpr char kInterrupted[] = "interrupted by the user";

// The session's MCP clients by server name.
using McpClients = std::map<std::string, std::unique_ptr<mcp::Client>>;

// The session's tools: built-in ones in its sandbox, web_fetch through the egress policy,
// MCP tools on the connected servers (blocking on `io`). Everything referenced must outlive
// the runner.
std::unique_ptr<ToolRunner> make_sandbox_tools(SessionEnvironment& env, McpClients& mcp,
                                               boost::asio::io_context& io, RunnerShared& shared);

}  // namespace cove::sessions
