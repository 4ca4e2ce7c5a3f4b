#include "runtime/client/run_session.hpp"

#include <stdexcept>

#include "runtime/client/progress.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::client {

namespace event_type = domain::event_type;

std::string run_task(ApiClient& api, const std::string& session_id, const std::string& task,
                     const RunOptions& options, std::ostream& out) {
  ProgressPrinter printer(out, options.color);
  std::string stop = "stream ended";
  json message = {
      {"events", json::array({{{"type", event_type::kUserMessage},
                               {"content", json::array({{{"type", "text"}, {"text", task}}})}}})}};
  api.stream(
      session_id, [&] { api.post("/v1/sessions/" + session_id + "/events", message); },
      [&](const json& event) {
        std::string type = event.value("type", "");
        if (options.json) {
          if (type != "event_start" && type != "event_delta") out << event.dump() << "\n";
          out.flush();
          if (type == event_type::kSessionStatusIdle) {
            stop = event["stop_reason"].value("type", "");
            return false;
          }
          if (type == event_type::kSessionStatusTerminated || type == event_type::kSessionDeleted) {
            stop = "terminated";
            return false;
          }
          return true;
        }
        if (!printer.print(event)) {
          stop = printer.stop_reason();
          return false;
        }
        return true;
      });
  return stop;
}

}  // namespace cove::client
