// Which git smart-HTTP requests the git proxy serves, and where each one goes upstream.
// Pure functions, tested alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/url.hpp"

namespace cove::netproxy {

struct GitRoute {
  enum class Kind { info_refs, upload_pack, receive_pack };
  Kind kind = Kind::info_refs;
  std::string name;  // the first path segment without ".git": the key for RemoteLookup
  std::string rest;  // what follows it: "/info/refs?service=git-upload-pack", "/git-upload-pack"
  // The HTTP method git uses for this request: GET for info/refs, POST otherwise.
  std::string_view method() const { return kind == Kind::info_refs ? "GET" : "POST"; }
};

// Parses a request target: /<name>(.git)?/info/refs?service=git-(upload|receive)-pack,
// /<name>(.git)?/git-upload-pack or /<name>(.git)?/git-receive-pack. <name> is letters,
// digits, '.', '_' and '-', not starting with '.'. nullopt for anything else.
std::optional<GitRoute> parse_git_route(std::string_view target);

// The request target on the remote: the remote URL's path exactly as configured (with its own
// ".git" suffix or without one; never a second one), then route.rest; a query in the remote URL
// is kept after the route's own query.
std::string upstream_target(const net::Url& remote, const GitRoute& route);

}  // namespace cove::netproxy
