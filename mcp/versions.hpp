// The MCP protocol revisions cove speaks: one list for the client and the server.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace cove::mcp {

// The revisions of the streamable HTTP transport, newest first: the server negotiates these,
// the client asks for the first.
inline constexpr std::array<std::string_view, 3> kStreamableHttpVersions = {
    "2025-11-25", "2025-06-18", "2025-03-26"};
inline constexpr std::string_view kLatestProtocolVersion = kStreamableHttpVersions.front();
// The revision of the older HTTP+SSE transport, which the client still accepts from servers.
inline constexpr std::string_view kLegacySseVersion = "2024-11-05";

// A revision the server speaks.
constexpr bool is_streamable_http_version(std::string_view version) {
  for (auto v : kStreamableHttpVersions)
    if (v == version) return true;
  return false;
}

// A revision the client accepts when a server answers initialize with it.
constexpr bool is_supported_protocol_version(std::string_view version) {
  return is_streamable_http_version(version) || version == kLegacySseVersion;
}

// "2025-11-25, 2025-06-18, 2025-03-26": the server's revisions, for messages.
inline std::string streamable_http_versions_text() {
  std::string text;
  for (auto v : kStreamableHttpVersions)
    text.append(text.empty() ? "" : ", ").append(v);
  return text;
}

}  // namespace cove::mcp
