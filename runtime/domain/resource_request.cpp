// Request parameters → Resource: the URL and mount-path rules, with errors naming the field.
#include <algorithm>

#include "runtime/domain/resource.hpp"
#include "runtime/domain/url_field.hpp"

namespace cove::domain {

namespace {

std::string repo_name(const std::string& url) {
  std::string u = url;
  while (!u.empty() && u.back() == '/')
    u.pop_back();
  auto slash = u.rfind('/');
  std::string name = slash == std::string::npos ? u : u.substr(slash + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0)
    name.resize(name.size() - 4);
  return name.empty() || name == "." || name == ".." ? "repo" : name;
}

void check_normal(const std::string& m, const std::string& field) {
  if (m.empty() || m.front() != '/') invalid(field, "must be absolute");
  for (unsigned char ch : m)
    if (ch < 0x20 || ch == 0x7f) invalid(field, "must not contain control characters");
  if (m.size() > 1 && m.back() == '/') invalid(field, "must not end with /");
  for (std::size_t start = 1; m.size() > 1 && start <= m.size();) {
    auto end = std::min(m.find('/', start), m.size());
    auto segment = std::string_view(m).substr(start, end - start);
    if (segment.empty()) invalid(field, "must not contain //");
    if (segment == "." || segment == "..") invalid(field, "must not contain . or ..");
    start = end + 1;
  }
}

// Repositories are mounted below /workspace; files also below /mnt/session (the default for
// uploads). Anything else would cover a directory of the sandbox's own system. The
// fallback, made of a name from the URL, is checked like a given path.
std::string mount_path(const json& params, const std::string& path, const std::string& fallback,
                       std::initializer_list<std::string_view> roots) {
  auto m = optional_string(params, "mount_path", path, 4096).value_or(fallback);
  auto field = join_path(path, "mount_path");
  check_normal(m, field);
  for (auto root : roots)
    if (m.size() > root.size() && m.starts_with(root)) return m;
  std::string allowed;
  for (auto root : roots)
    allowed += std::string(allowed.empty() ? "" : " or ") + std::string(root);
  invalid(field, "must be below " + allowed);
}

}  // namespace

ResourceRequest parse_resource_request(const json& params, const std::string& path) {
  require_object(params, path);
  auto type = require_string(params, "type", path);
  ResourceRequest out;
  Resource& r = out.resource;
  if (type == "github_repository") {
    GithubRepository repo;
    repo.url = require_http_url(params, "url", path, "pass the token as authorization_token", 4096);
    r.mount_path = mount_path(params, path, "/workspace/" + repo_name(repo.url), {"/workspace/"});
    repo.checkout = parse_checkout(member_or_null(params, "checkout"), join_path(path, "checkout"));
    r.source = std::move(repo);
    out.authorization_token = optional_string(params, "authorization_token", path, 8192);
  } else if (type == "file") {
    auto file_id = require_string(params, "file_id", path);
    r.mount_path = mount_path(params, path, "/mnt/session/uploads/" + file_id,
                              {"/workspace/", "/mnt/session/"});
    r.source = SessionFile{file_id};
  } else if (type == "memory_store") {
    invalid(join_path(path, "type"), "memory_store is not supported by this server");
  } else {
    invalid(join_path(path, "type"), "must be github_repository or file");
  }
  return out;
}

}  // namespace cove::domain
