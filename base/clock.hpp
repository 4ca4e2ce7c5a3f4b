// Wall-clock time as the API shows it: Unix milliseconds and RFC 3339 in UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cove {

// Milliseconds since the Unix epoch, from the system clock (not monotonic: for timestamps
// only, never for deadlines).
int64_t now_ms();

// 2026-04-07T04:27:43.197Z
std::string rfc3339(int64_t unix_ms);

// YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM) → Unix milliseconds; nullopt when malformed.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace cove
