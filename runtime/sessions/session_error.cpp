#include "runtime/sessions/session_error.hpp"

#include "mcp/error.hpp"
#include "mounts/repo_error.hpp"
#include "runtime/domain/event.hpp"
#include "runtime/models/provider.hpp"

namespace cove::sessions {

namespace {

namespace error = domain::session_error;

std::string model_error_type(models::ModelErrorKind kind) {
  switch (kind) {
    case models::ModelErrorKind::overloaded:
      return error::kModelOverloaded;
    case models::ModelErrorKind::rate_limited:
      return error::kModelRateLimited;
    default:
      return error::kModelRequestFailed;
  }
}

}  // namespace

std::string session_error_type(const std::exception& failure, const std::string& otherwise) {
  if (const auto* e = dynamic_cast<const models::ModelError*>(&failure))
    return model_error_type(e->kind());
  if (const auto* e = dynamic_cast<const mcp::McpError*>(&failure))
    return e->kind() == mcp::McpError::Kind::auth ? error::kMcpAuthenticationFailed
                                                  : error::kMcpConnectionFailed;
  if (const auto* e = dynamic_cast<const mounts::RepoError*>(&failure))
    return domain::repository_error_type(mounts::to_string(e->kind()));
  return otherwise;
}

}  // namespace cove::sessions
