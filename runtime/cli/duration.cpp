#include "runtime/cli/duration.hpp"

#include <charconv>

namespace cove {

namespace {

struct Unit {
  char suffix;
  int64_t seconds;
};

constexpr Unit kUnits[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::seconds(0);
  if (text.size() < 2) return std::nullopt;
  int64_t n = 0;
  auto digits = text.substr(0, text.size() - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0) return std::nullopt;
  for (const auto& u : kUnits)
    if (text.back() == u.suffix) {
      if (n > INT64_MAX / u.seconds) return std::nullopt;
      return std::chrono::seconds(n * u.seconds);
    }
  return std::nullopt;
}

std::string short_age(int64_t ms) {
  int64_t secs = ms < 0 ? 0 : ms / 1000;
  for (const auto& u : kUnits)
    if (secs >= u.seconds && u.seconds > 1) return std::to_string(secs / u.seconds) + u.suffix;
  return std::to_string(secs) + "s";
}

}  // namespace cove
