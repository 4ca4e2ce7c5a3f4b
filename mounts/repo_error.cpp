#include "mounts/repo_error.hpp"

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

RepoError::RepoError(RepoErrorKind kind, std::string url, std::string reason)
    : std::runtime_error(std::string(to_string(kind)) + ": " + url + ": " + reason),
      kind_(kind),
      url_(std::move(url)),
      reason_(std::move(reason)) {}

}  // namespace cove::mounts
