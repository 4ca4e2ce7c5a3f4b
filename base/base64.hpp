// Standard base64 (RFC 4648, with padding), for bytes carried in JSON and HTTP headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cove {

// Standard base64 (with padding) of any bytes.
std::string base64_encode(std::string_view bytes);
// Standard base64 decoding; nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cove
