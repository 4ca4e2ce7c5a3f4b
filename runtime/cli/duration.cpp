#include "runtime/cli/duration.hpp"

#include <charconv>
#include <cstdint>

namespace cove {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit.empty() || unit == "s") scale = 1000;
  if (unit == "m") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  if (scale == 0 || n > UINT64_MAX / scale / 2) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(n * scale));
}

}  // namespace cove
