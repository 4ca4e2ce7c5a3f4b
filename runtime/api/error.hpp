// The API's errors: what a route throws to answer with the error envelope
// ({"type":"error","error":{"type":…,"message":…}}) and its HTTP status. api::Server turns
// an ApiError, and a domain::FieldError (400), into that envelope; anything else is a 500
// that names no detail. A message must never contain a secret value.
#pragma once

#include <stdexcept>
#include <string>

namespace cove::api {

// Thrown anywhere below a route.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, std::string message, std::string error_code = {})
      : std::runtime_error(std::move(message)),
        status(status),
        type(std::move(type)),
        error_code(std::move(error_code)) {}
  int status;
  std::string type;
  std::string error_code;
};

[[noreturn]] void bad_request(const std::string& message, const std::string& error_code = {});
[[noreturn]] void not_found(const std::string& what, const std::string& id,
                            const std::string& error_code = {});
[[noreturn]] void conflict(const std::string& message, const std::string& error_code = {});

}  // namespace cove::api
