// Session-side API types shared by the session, resource and event routes: resource
// parameters (with their write-only token), the session response view, and sendable events.
#pragma once

#include "runtime/api/routes.hpp"

namespace cove::api {

// A resource body (response form) from its request form. The token, if any, is moved to
// *token and never stored in the body.
json resource_from_params(const json& params, const std::string& path, const std::string& id,
                          int64_t now, std::optional<std::string>* token);

// The session as the API shows it: its body plus its resources.
json session_view(Services& s, const store::Object& session);

// A user event (request form) validated and turned into its stored form: id assigned,
// processed_at null (queued), server fields (outcome_id) added.
json event_from_params(const json& params, const std::string& path);

// Appends already-validated user events to the batch; returns their ids.
std::vector<std::string> append_user_events(store::WriteBatch& batch, const std::string& session_id,
                                            const std::vector<json>& events, int64_t now);

}  // namespace cove::api
