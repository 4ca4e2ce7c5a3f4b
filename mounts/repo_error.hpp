// Errors of the repository layer, in the API's repository error kinds.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cove::mounts {

enum class RepoErrorKind { authentication, forbidden, not_found, checkout, clone };

std::string_view to_string(RepoErrorKind kind);

// Thrown by every RepoCache operation that fails because of the repository, the remote or
// the checkout. what() is one readable line: "<kind>: <url>: <reason>". Never contains a
// token.
class RepoError : public std::runtime_error {
 public:
  RepoError(RepoErrorKind kind, std::string url, std::string reason);
  RepoErrorKind kind() const { return kind_; }
  const std::string& url() const { return url_; }
  const std::string& reason() const { return reason_; }

 private:
  RepoErrorKind kind_;
  std::string url_;
  std::string reason_;
};

}  // namespace cove::mounts
