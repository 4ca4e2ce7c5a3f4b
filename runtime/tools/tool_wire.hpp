// How the runtime and the file tools' server talk over their socket: each message is a
// 4-byte little-endian length and that many bytes of JSON. Requests are
// {"tool": "read", "input": {...}}; answers are {"content": [...], "is_error": bool}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cove::tools::wire {

// The largest request (a write's content) and answer either side accepts.
constexpr std::size_t kMaxRequestBytes = 64u << 20;
constexpr std::size_t kMaxAnswerBytes = 16u << 20;

inline std::string frame(const std::string& body) {
  auto n = static_cast<uint32_t>(body.size());
  std::string out;
  out.reserve(4 + body.size());
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + body;
}

// The body length a 4-byte header announces.
inline std::size_t frame_length(const unsigned char header[4]) {
  return static_cast<std::size_t>(header[0]) | static_cast<std::size_t>(header[1]) << 8 |
         static_cast<std::size_t>(header[2]) << 16 | static_cast<std::size_t>(header[3]) << 24;
}

}  // namespace cove::tools::wire
