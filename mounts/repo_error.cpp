#include "mounts/repo_error.hpp"

#include "mounts/repo_url.hpp"

namespace cove::mounts {

std::string_view to_string(RepoErrorKind kind) {
  switch (kind) {
    case RepoErrorKind::authentication:
      return "authentication";
    case RepoErrorKind::forbidden:
      return "forbidden";
    case RepoErrorKind::not_found:
      return "not_found";
    case RepoErrorKind::checkout:
      return "checkout";
    case RepoErrorKind::clone:
      return "clone";
  }
  return "clone";
}

// Callers pass clean URLs; stripping again here keeps a token out of every message even when
// one did not.
RepoError::RepoError(RepoErrorKind kind, std::string url, std::string reason)
    : std::runtime_error(std::string(to_string(kind)) + ": " + without_userinfo(url) + ": " +
                         without_userinfo(reason)),
      kind_(kind),
      url_(without_userinfo(std::move(url))),
      reason_(without_userinfo(std::move(reason))) {}

}  // namespace cove::mounts
