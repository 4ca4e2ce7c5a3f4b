#include "runtime/client/follow.hpp"

#include <thread>

#include "runtime/domain/event_types.hpp"

namespace cove::client {

namespace {

bool is_preview(const std::string& type) {
  return type == "event_start" || type == "event_delta";
}

}  // namespace

void follow_session(ApiClient& api, const std::string& session_id, const FollowOptions& options,
                    const FollowCallbacks& cb) {
  using Clock = std::chrono::steady_clock;
  std::optional<int64_t> position = options.resume_after;
  std::optional<Clock::time_point> failing_since;
  bool dropped = false;
  bool opened = false;
  for (;;) {
    bool stop = false;
    bool deleted = false;
    try {
      api.stream(
          session_id, {position, options.previews},
          [&] {
            failing_since.reset();
            opened = true;
            if (dropped) cb.on_notice("reconnected; resuming after the last event received");
            dropped = false;
            stop = !cb.on_open(position.has_value());
            return !stop;
          },
          [&](const json& event, int64_t seq) {
            std::string type = event.value("type", "");
            // A preview's position is the stored event before it; where a resume starts
            // only once a stored event has been received.
            if (!is_preview(type)) position = seq;
            deleted = type == domain::event_type::kSessionDeleted;
            stop = !cb.on_event(event);
            return !stop && !deleted;
          });
    } catch (const ApiClientError& e) {
      // An answer, not a lost connection, or no daemon in the first place: retrying cannot
      // help.
      if (e.status() != 0 || !opened) throw;
    }
    if (stop || deleted) return;
    auto now = Clock::now();
    if (!failing_since) failing_since = now;
    if (now - *failing_since > options.give_up_after)
      throw ApiClientError(
          "lost the connection to the daemon and could not reconnect for " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(options.give_up_after).count()) +
              " s",
          0);
    if (!dropped) cb.on_notice("the connection to the daemon dropped; reconnecting");
    dropped = true;
    std::this_thread::sleep_for(options.retry_every);
  }
}

}  // namespace cove::client
