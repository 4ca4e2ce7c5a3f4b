// Server events: what the runtime itself appends to a session's log (status changes, errors,
// spans, agent output). Every one has an id, a type and processed_at, plus its own fields;
// server_event is the one place that puts them together. Ids and clocks are the caller's:
// the domain neither generates ids nor reads the time.
#pragma once

#include <string>
#include <string_view>

#include "runtime/domain/event_types.hpp"
#include "runtime/domain/fields.hpp"

namespace cove::domain {

struct ServerEvent {
  std::string id;                // "sevt_..."
  std::string type;              // one of event_type::*
  std::string processed_at;      // RFC 3339
  json fields = json::object();  // the type's own fields
};

void to_json(json& out, const ServerEvent& event);
// The fields are every member but id, type and processed_at.
void from_json(const json& in, ServerEvent& event);

// The event as it is stored and streamed: `fields` plus id, type and processed_at.
json server_event(std::string type, std::string id, std::string processed_at,
                  json fields = json::object());

// session.error's fields: {error: {type, message, retry_status: {type: retry}} + extra}.
json session_error_fields(const std::string& error_type, const std::string& message,
                          const std::string& retry, json extra = json::object());
// "repository_<kind>_error" for a repository that could not be mounted (kind: clone, ...).
std::string repository_error_type(std::string_view kind);
// session.status_idle's fields: {stop_reason, stop_details: null}.
json idle_fields(json stop_reason);

}  // namespace cove::domain
