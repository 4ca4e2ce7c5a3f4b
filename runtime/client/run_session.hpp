// What `cove run` and `cove demo` share: running one task in a session while printing its
// progress.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/client/api_client.hpp"

namespace cove::client {

struct RunOptions {
  bool json = false;   // print raw events, one JSON object per line
  bool color = false;  // ANSI colours in readable output
};

// How a run ended.
struct RunResult {
  // The stop reason ("end_turn", "requires_action", "retries_exhausted", "terminated", ...),
  // or "stream ended" when the stream closed first.
  std::string stop = "stream ended";
  std::vector<json> errors;  // the `error` objects of the session.error events, in order
  bool retried = false;      // the session retried something (session.status_rescheduled)
};

// Opens the session's stream, sends `task` as a user.message and prints events until the
// session stops working.
RunResult run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                   const RunOptions& options, std::ostream& out);

}  // namespace cove::client
