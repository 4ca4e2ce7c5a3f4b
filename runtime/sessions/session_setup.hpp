// The set-up of a session, as a recipe (DESIGN.md "Session start", steps 2-3, then the MCP
// servers and the model): repositories, sandbox, proxies and shell
// (SessionEnvironment::prepare), each MCP server of the agent connected and its tools listed,
// the model checked and its provider made. Each step is reported as
// span.setup_step_start/end. A repository or MCP server that fails becomes a session.error
// and the session goes on without it; any other failure ends the turn (session.error, idle)
// and the next turn tries again. The session's resources, environment and vault credentials
// are read from the store here, each parsed once (stored_objects.hpp).
//
// Threading: made, used and destroyed on the session's thread (the sandbox is built there).
// Model and MCP calls are coroutines run on the set-up's own io_context; tools block the
// thread (they are the session's work). Destroying it tears the environment down.
#pragma once

#include <memory>
#include <string>

#include "runtime/sessions/session_work.hpp"

namespace cove::sessions {

struct RunnerShared;

std::unique_ptr<SessionSetup> make_session_setup(RunnerShared& shared, std::string session_id);

}  // namespace cove::sessions
