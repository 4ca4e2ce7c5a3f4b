#include "mounts/repo_url.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>

#include "mounts/git_support.hpp"

namespace cove::mounts {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct UrlParts {
  std::string scheme, host, path;  // host includes :port
};

bool split(const std::string& url, UrlParts& out) {
  auto sep = url.find("://");
  if (sep == std::string::npos) return false;
  out.scheme = lower(url.substr(0, sep));
  auto rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  out.host = lower(authority);
  return true;
}

}  // namespace

std::string clean_url(const std::string& url) {
  UrlParts p;
  if (!split(url, p)) {
    // scp-like "user@host:path" stays as it is; anything else is a local path.
    auto colon = url.find(':');
    if (colon != std::string::npos && url.find('/') > colon) return url;
    p.scheme = "file";
    p.path = std::filesystem::absolute(url).lexically_normal().string();
  }
  while (p.path.size() > 1 && p.path.back() == '/')
    p.path.pop_back();
  return p.scheme + "://" + p.host + p.path;
}

std::string normalise_url(const std::string& url) {
  auto u = clean_url(url);
  if (u.size() > 4 && u.compare(u.size() - 4, 4, ".git") == 0) u.resize(u.size() - 4);
  return u;
}

std::string repo_key(const std::string& url) {
  ensure_libgit2();
  auto n = normalise_url(url);
  git_oid oid;
  git_odb_hash(&oid, n.data(), n.size(), GIT_OBJECT_BLOB);
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, &oid);
  return std::string(hex, 16);
}

std::string without_userinfo(std::string text) {
  for (auto sep = text.find("://"); sep != std::string::npos; sep = text.find("://", sep + 3)) {
    auto start = sep + 3;
    // In a message a URL also ends at white space or a quote.
    auto end = std::min(text.find_first_of("/?# \t\n'\"<>", start), text.size());
    auto at = std::string_view(text).substr(start, end - start).rfind('@');
    if (at != std::string_view::npos) text.erase(start, at + 1);
  }
  return text;
}

std::string url_host(const std::string& url) {
  UrlParts p;
  if (!split(url, p)) return "";
  return p.scheme == "file" ? "" : p.host;
}

}  // namespace cove::mounts
