// Query strings of list endpoints: parameters in the SDK's bracket and repeated forms, page
// limits, opaque cursors and created_at ranges. Malformed input is a 400 (ApiError) naming
// the parameter.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cove::api {

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
