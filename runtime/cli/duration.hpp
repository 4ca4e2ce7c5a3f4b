// Human durations on the command line ("90s", "30m", "12h", "7d") and ages in a table.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cove {

// A whole number with a unit: s, m, h, d or w ("0" alone is zero). nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The largest whole unit of `ms` (at least 0s): "42s", "5m", "3h", "2d", "6w".
std::string short_age(int64_t ms);

}  // namespace cove
