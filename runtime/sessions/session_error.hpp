// The one mapping from a failure to the session.error type it is reported as: model errors by
// kind, MCP servers that refuse the credentials or cannot be reached, repositories by the
// repository layer's kind. A failure the table does not know is `otherwise`: what the part of
// the session that failed calls a failure of its own (a repository that cannot be mounted is
// a repository_checkout_error), else unknown_error.
#pragma once

#include <exception>
#include <string>

#include "runtime/domain/event_types.hpp"

namespace cove::sessions {

std::string session_error_type(const std::exception& failure,
                               const std::string& otherwise = domain::session_error::kUnknown);

}  // namespace cove::sessions
