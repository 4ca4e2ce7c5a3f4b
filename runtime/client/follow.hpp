// Following a session's events across dropped connections (`cove logs -f`, `cove attach`):
// each reconnection sends the position of the last stored event received as Last-Event-ID,
// and cove replays what was committed since, so nothing is missed or printed twice even when
// the daemon restarts in between.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/client/api_client.hpp"

namespace cove::client {

struct FollowOptions {
  // Where to start: after this sequence number (0: the whole history); unset: live events
  // only, from the first connection on.
  std::optional<int64_t> resume_after;
  bool previews = true;  // the agent's text as it streams (event_start / event_delta)
  // Reconnecting fails for good once no connection has succeeded for this long.
  std::chrono::milliseconds give_up_after{std::chrono::seconds(60)};
  std::chrono::milliseconds retry_every{std::chrono::milliseconds(250)};
};

struct FollowCallbacks {
  // Each time the stream is open, with whether it resumes from a known position; false
  // stops following.
  std::function<bool(bool resuming)> on_open = [](bool) { return true; };
  // Every event, previews included; false stops following.
  std::function<bool(const json& event)> on_event;
  // A line for the user: the connection dropped, or came back.
  std::function<void(const std::string& notice)> on_notice = [](const std::string&) {};
};

// Follows until a callback says stop or the session is deleted (its stream ends with
// session.deleted). Throws ApiClientError for an API error (404 for an unknown session) and,
// with status 0, when the first connection fails or, once connected, the daemon stays
// unreachable for give_up_after.
void follow_session(ApiClient& api, const std::string& session_id, const FollowOptions& options,
                    const FollowCallbacks& callbacks);

}  // namespace cove::client
