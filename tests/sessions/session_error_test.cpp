// The one table from failures to session.error types (session_error_type): every row, and
// the fallback a part of the session gives for failures the table does not know.
#include "runtime/sessions/session_error.hpp"

#include <gtest/gtest.h>

#include "mcp/error.hpp"
#include "mounts/repo_error.hpp"
#include "runtime/models/provider.hpp"

namespace cove::sessions {
namespace {

using models::ModelError;
using models::ModelErrorKind;

TEST(SessionErrorType, ModelErrorsByKind) {
  EXPECT_EQ(session_error_type(ModelError(ModelErrorKind::overloaded, "busy", 529)),
            "model_overloaded_error");
  EXPECT_EQ(session_error_type(ModelError(ModelErrorKind::rate_limited, "slow down", 429)),
            "model_rate_limited_error");
  for (auto kind : {ModelErrorKind::server, ModelErrorKind::network, ModelErrorKind::request_failed,
                    ModelErrorKind::interrupted})
    EXPECT_EQ(session_error_type(ModelError(kind, "no")), "model_request_failed_error");
}

TEST(SessionErrorType, McpServersThatRefuseOrFail) {
  using Kind = mcp::McpError::Kind;
  EXPECT_EQ(session_error_type(mcp::McpError(Kind::auth, "401")),
            "mcp_authentication_failed_error");
  for (auto kind : {Kind::transport, Kind::protocol, Kind::timeout, Kind::version})
    EXPECT_EQ(session_error_type(mcp::McpError(kind, "no")), "mcp_connection_failed_error");
}

TEST(SessionErrorType, RepositoriesByTheirKind) {
  using mounts::RepoError;
  using mounts::RepoErrorKind;
  EXPECT_EQ(session_error_type(RepoError(RepoErrorKind::authentication, "u", "r")),
            "repository_authentication_error");
  EXPECT_EQ(session_error_type(RepoError(RepoErrorKind::not_found, "u", "r")),
            "repository_not_found_error");
  EXPECT_EQ(session_error_type(RepoError(RepoErrorKind::clone, "u", "r")),
            "repository_clone_error");
}

TEST(SessionErrorType, AnythingElseIsTheFallback) {
  EXPECT_EQ(session_error_type(std::runtime_error("disk full")), "unknown_error");
  EXPECT_EQ(session_error_type(std::runtime_error("no mount point"),
                               domain::session_error::kRepositoryCheckout),
            "repository_checkout_error");
  // A known failure keeps its own type whatever the fallback.
  EXPECT_EQ(session_error_type(mcp::McpError(mcp::McpError::Kind::auth, "403"),
                               domain::session_error::kMcpConnectionFailed),
            "mcp_authentication_failed_error");
}

}  // namespace
}  // namespace cove::sessions
