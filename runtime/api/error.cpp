#include "runtime/api/error.hpp"

#include <cctype>

namespace cove::api {

void bad_request(const std::string& message, const std::string& error_code) {
  throw ApiError(400, "invalid_request_error", message, error_code);
}

void not_found(const std::string& what, const std::string& id, const std::string& error_code) {
  // Ids are echoed only when they look like ids: the path could carry anything.
  std::string shown = id.size() <= 64 ? id : id.substr(0, 64) + "...";
  for (char& c : shown)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '?';
  throw ApiError(404, "not_found_error", what + " " + shown + " not found", error_code);
}

void conflict(const std::string& message, const std::string& error_code) {
  throw ApiError(409, "conflict_error", message, error_code);
}

}  // namespace cove::api
