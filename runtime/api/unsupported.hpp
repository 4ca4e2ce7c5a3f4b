// The Managed Agents endpoints (and the beta's adjacent resources) that cove does not serve.
// A request for one is answered with a 404 whose message names the feature and says that cove
// lacks it, instead of "no such endpoint": the SDK call is valid against the hosted API, and
// the user should learn that the gap is cove's, not a typo of theirs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cove::api {

// The error message for `method path` (path without its query) when it belongs to a feature
// cove does not implement; nullopt for paths cove serves or that no API has.
std::optional<std::string> unsupported_endpoint(std::string_view method, std::string_view path);

}  // namespace cove::api
