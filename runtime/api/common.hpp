// What every API route shares: the error type that becomes the error envelope, request
// validation helpers that name the offending field, ids, timestamps, query strings and cursors.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "runtime/domain/fields.hpp"

namespace cove::api {

using json = nlohmann::json;

// Thrown anywhere below a route; the router turns it into the API error envelope. The message
// must never contain a secret value.
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

// --- validation: the domain's field readers (they throw domain::FieldError, which the
// server answers with a 400 naming the field, e.g. "resources[0].url is required") ---
using domain::index_path;
using domain::join_path;
using domain::member;
using domain::optional_bool;
using domain::optional_string;
using domain::require_object;
using domain::require_string;
// A string→string map with the API's metadata limits.
json metadata_value(const json& value, const std::string& path);
// Applies a metadata patch (key→string upserts, key→null deletes; "" deletes when
// empty_deletes) to `current`.
json patch_metadata(const json& current, const json& patch, const std::string& path,
                    bool empty_deletes = false);

// --- query strings ---
class Query {
 public:
  explicit Query(std::string_view raw);
  // Last value of `name`, if given.
  std::optional<std::string> get(const std::string& name) const;
  // Every value of `name` and of `name[]` (both SDK bracket form and repeated form).
  std::vector<std::string> all(const std::string& name) const;
  std::optional<bool> boolean(const std::string& name) const;  // 400 on non-boolean
  int limit(int default_limit, int max_limit) const;           // 400 when out of range
  std::optional<int64_t> integer(const std::string& name) const;

 private:
  std::multimap<std::string, std::string> values_;
};

std::string percent_decode(std::string_view text);

// Opaque page cursors: remember the position and the order they were minted with.
std::string make_cursor(int64_t position, bool descending);
// 400 when malformed or minted for the other order.
int64_t read_cursor(const std::string& cursor, bool descending);

// created_at[gt|gte|lt|lte] as an inclusive millisecond range.
struct TimeRange {
  std::optional<int64_t> min_ms, max_ms;
};
TimeRange created_range(const Query& query);

}  // namespace cove::api
