// Durations on the command line: "90" (seconds), "500ms", "30s", "10m", "2h"; "0" is zero.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace cove {

// Milliseconds for a whole number with an optional unit (ms, s, m, h; seconds without one).
// nullopt for anything else, negative numbers included.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace cove
