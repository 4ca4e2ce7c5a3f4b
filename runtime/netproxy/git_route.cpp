// Request routing for the git smart-HTTP proxy (see git_route.hpp).
#include "runtime/netproxy/git_route.hpp"

namespace cove::netproxy {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;  // no ".", "..", hidden names
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<GitRoute> parse_git_route(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string_view path = target, query;
  bool has_query = false;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
    has_query = true;
  }
  size_t slash = path.find('/', 1);
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view segment = path.substr(1, slash - 1);
  std::string_view tail = path.substr(slash);

  GitRoute route;
  if (tail == "/info/refs") {
    if (query != "service=git-upload-pack" && query != "service=git-receive-pack")
      return std::nullopt;
    route.kind = GitRoute::Kind::info_refs;
  } else if (tail == "/git-upload-pack" && !has_query) {
    route.kind = GitRoute::Kind::upload_pack;
  } else if (tail == "/git-receive-pack" && !has_query) {
    route.kind = GitRoute::Kind::receive_pack;
  } else {
    return std::nullopt;
  }
  std::string_view name = segment;
  if (name.size() > 4 && name.substr(name.size() - 4) == ".git") name.remove_suffix(4);
  if (!valid_name(name)) return std::nullopt;
  route.name = std::string(name);
  route.rest = std::string(target.substr(slash));
  return route;
}

std::string upstream_target(const net::Url& remote, const GitRoute& route) {
  std::string_view base = remote.target, base_query;
  if (size_t q = base.find('?'); q != std::string_view::npos) {
    base_query = base.substr(q + 1);
    base = base.substr(0, q);
  }
  while (!base.empty() && base.back() == '/')
    base.remove_suffix(1);
  std::string out = std::string(base) + route.rest;
  if (!base_query.empty())
    out += (route.rest.find('?') == std::string::npos ? "?" : "&") + std::string(base_query);
  return out;
}

}  // namespace cove::netproxy
