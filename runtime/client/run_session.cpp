#include "runtime/client/run_session.hpp"

#include <stdexcept>

#include "runtime/client/progress.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::client {

namespace event_type = domain::event_type;

namespace {

// The stop reason an event ends the run with, or "" when the session keeps working.
std::string stop_of(const json& event) {
  std::string type = event.value("type", "");
  if (type == event_type::kSessionStatusIdle)
    return event.value("stop_reason", json::object()).value("type", "");
  if (type == event_type::kSessionStatusTerminated || type == event_type::kSessionDeleted)
    return "terminated";
  return "";
}

}  // namespace

RunResult run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                   const RunOptions& options, std::ostream& out) {
  ProgressPrinter printer(out, options.color);
  RunResult result;
  json message = {
      {"events", json::array({{{"type", event_type::kUserMessage},
                               {"content", json::array({{{"type", "text"}, {"text", task}}})}}})}};
  api.stream(
      session_id, [&] { api.post("/v1/sessions/" + session_id + "/events", message); },
      [&](const json& event) {
        std::string type = event.value("type", "");
        if (type == event_type::kSessionError)
          result.errors.push_back(event.value("error", json()));
        if (type == event_type::kSessionStatusRescheduled) result.retried = true;
        if (options.json) {
          if (type != "event_start" && type != "event_delta") out << event.dump() << "\n";
          out.flush();
        } else {
          printer.print(event);
        }
        std::string stop = stop_of(event);
        if (stop.empty()) return true;
        result.stop = stop;
        return false;
      });
  return result;
}

}  // namespace cove::client
