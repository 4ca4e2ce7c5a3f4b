// What `cove run` and `cove demo` share: running one task in a session while printing its
// progress.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "runtime/client/api_client.hpp"

namespace cove::client {

struct RunOptions {
  bool json = false;   // print raw events, one JSON object per line
  bool color = false;  // ANSI colours in readable output
};

// Opens the session's stream, sends `task` as a user.message and prints events until the
// session stops working. Returns the stop reason ("end_turn", "requires_action",
// "retries_exhausted", "terminated", ...).
std::string run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                     const RunOptions& options, std::ostream& out);

}  // namespace cove::client
