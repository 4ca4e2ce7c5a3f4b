// FieldError: a request field that does not validate. It names the field by its path in the
// request ("resources[0].mount_path") and says what is wrong with it; the API turns it into
// a 400 invalid_request_error envelope, with `code` (if any) as the error code. Messages
// never contain a secret value.
#pragma once

#include <stdexcept>
#include <string>

namespace cove::domain {

class FieldError : public std::runtime_error {
 public:
  // what() is "<path> <problem>", or just the problem when the path is empty.
  FieldError(std::string path, const std::string& problem, std::string code = {})
      : std::runtime_error(path.empty() ? problem : path + " " + problem),
        path(std::move(path)),
        code(std::move(code)) {}
  std::string path;
  std::string code;
};

// Throws FieldError(path, problem, code).
[[noreturn]] inline void invalid(const std::string& path, const std::string& problem,
                                 const std::string& code = {}) {
  throw FieldError(path, problem, code);
}

}  // namespace cove::domain
