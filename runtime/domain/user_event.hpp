// Events clients send (user.* and system.message), validated at the edge. A UserEvent is
// the request's event as it will be stored, minus what the server assigns: the caller adds
// id, processed_at and (for user.define_outcome) outcome_id.
#pragma once

#include <string>

#include "runtime/domain/fields.hpp"

namespace cove::domain {

struct UserEvent {
  std::string type;  // one of the client-sent event_type::*
  json body;         // every field as sent, defaults filled in (max_iterations)
};

void to_json(json& out, const UserEvent& event);
void from_json(const json& in, UserEvent& event);

// Errors name fields below `path` ("events[0].content[0].text must be a string, ...").
UserEvent parse_user_event(const json& params, const std::string& path);

}  // namespace cove::domain
