// Human sizes on the command line: "512M", "2G", "1.5GiB", "4096".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cove {

// Bytes for a number with an optional binary suffix (K, M, G, T; "B" and "iB" accepted).
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace cove
