// Names and request paths of the forge (see paths.hpp).
#include "runtime/forge/paths.hpp"

#include <stdexcept>

namespace cove::forge {

void check_name(std::string_view what, std::string_view value) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(what) + " '" + std::string(value) + "' " + why);
  };
  if (value.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
  if (value.size() > 100) fail("is longer than 100 characters");
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) fail("may only contain letters, digits, '.', '_' and '-'");
  }
  if (value == "." || value == "..") fail("is not a valid name");
  if (value.size() >= 4 && value.substr(value.size() - 4) == ".git") fail("must not end in .git");
}

RepoName parse_repo_name(std::string_view full_name) {
  auto slash = full_name.find('/');
  if (slash == std::string_view::npos)
    throw std::invalid_argument("repository must be OWNER/NAME, got '" + std::string(full_name) +
                                "'");
  RepoName r{std::string(full_name.substr(0, slash)), std::string(full_name.substr(slash + 1))};
  if (r.name.size() > 4 && r.name.substr(r.name.size() - 4) == ".git")
    r.name.resize(r.name.size() - 4);
  check_name("repository owner", r.owner);
  check_name("repository name", r.name);
  return r;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<Target> split_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target t;
  auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path || path->find('\0') != std::string::npos) return std::nullopt;
  t.path = std::move(*path);
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  return t;
}

std::optional<RepoPath> parse_repo_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  RepoPath r;
  r.owner = std::string(path.substr(0, slash));
  path.remove_prefix(slash + 1);
  auto end = path.find('/');
  std::string name(path.substr(0, end));
  r.rest = end == std::string_view::npos ? "" : std::string(path.substr(end));
  if (name.size() > 4 && name.substr(name.size() - 4) == ".git") {
    name.resize(name.size() - 4);
    r.dot_git = true;
  }
  r.name = std::move(name);
  try {
    check_name("owner", r.owner);
    check_name("name", r.name);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  return r;
}

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string_view::npos) return {};
      return percent_decode(pair.substr(eq + 1), true).value_or("");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

GitRequest classify_git_request(std::string_view method, std::string_view rest,
                                std::string_view query) {
  GitRequest g;
  if (rest == "/info/refs") {
    g.is_git = method == "GET" || method == "HEAD";
    auto service = query_param(query, "service");
    if (service == "git-receive-pack") g.service = GitService::receive_pack;
    if (service == "git-upload-pack") g.service = GitService::upload_pack;
    return g;
  }
  if (rest == "/git-upload-pack") {
    g.is_git = method == "POST";
    g.service = GitService::upload_pack;
    return g;
  }
  if (rest == "/git-receive-pack") {
    g.is_git = method == "POST";
    g.service = GitService::receive_pack;
    return g;
  }
  // The dumb protocol's files, read-only.
  if ((method == "GET" || method == "HEAD") && (rest == "/HEAD" || rest.rfind("/objects/", 0) == 0))
    g.is_git = true;
  return g;
}

}  // namespace cove::forge
