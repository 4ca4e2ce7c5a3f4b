// Absolute http(s) URLs, split into what an HTTP/1.1 client needs to open a connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cove::net {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path and query, never empty ("/" at least); no fragment

  bool tls() const { return scheme == "https"; }
  // "scheme://host:port": two URLs with the same origin may share a connection and a token.
  std::string origin() const;
  // The Host header value: the port is omitted when it is the scheme's default.
  std::string host_header() const;
  // The URL as text, without userinfo or fragment.
  std::string str() const;
};

// Parses an absolute http or https URL. Throws std::invalid_argument naming the problem
// (bad syntax, other scheme, userinfo present, missing host).
Url parse_url(std::string_view text);

// Whether the authority of "scheme://authority/..." has a userinfo part ("user:pass@" or
// "token@"). Plain text scan, so it also answers for URLs parse_url would refuse.
bool has_userinfo(std::string_view text);

// The text with any userinfo removed, for quoting a URL in a message or log.
std::string without_userinfo(std::string_view text);

// Resolves a reference (absolute, or relative such as "/message?sessionId=1") against base.
Url resolve_url(const Url& base, std::string_view reference);

}  // namespace cove::net
