#include "runtime/domain/resource.hpp"

namespace cove::domain {

namespace {

json checkout_json(const std::optional<RepositoryCheckout>& c) {
  if (!c) return nullptr;
  if (c->kind == RepositoryCheckout::Kind::branch) return {{"type", "branch"}, {"name", c->ref}};
  return {{"type", "commit"}, {"sha", c->ref}};
}

}  // namespace

std::optional<RepositoryCheckout> parse_checkout(const json& value, const std::string& path) {
  if (value.is_null()) return std::nullopt;
  require_object(value, path);
  auto type = require_string(value, "type", path);
  if (type == "branch")
    return RepositoryCheckout{RepositoryCheckout::Kind::branch,
                              require_string(value, "name", path)};
  if (type == "commit")
    return RepositoryCheckout{RepositoryCheckout::Kind::commit, require_string(value, "sha", path)};
  invalid(path + ".type", "must be branch or commit");
}

std::string Resource::type() const {
  return repository() ? "github_repository" : "file";
}

void to_json(json& out, const Resource& r) {
  out = {{"id", r.id}, {"type", r.type()}};
  if (const auto* repo = r.repository()) {
    out["url"] = repo->url;
    out["checkout"] = checkout_json(repo->checkout);
  } else {
    out["file_id"] = std::get<SessionFile>(r.source).file_id;
  }
  out["mount_path"] = r.mount_path;
  out["created_at"] = r.created_at;
  out["updated_at"] = r.updated_at;
}

void from_json(const json& in, Resource& r) {
  const std::string path = "resource";
  require_object(in, path);
  r.id = require_string(in, "id", path);
  auto type = require_string(in, "type", path);
  if (type == "github_repository")
    r.source = GithubRepository{require_string(in, "url", path),
                                parse_checkout(member_or_null(in, "checkout"), path + ".checkout")};
  else if (type == "file")
    r.source = SessionFile{require_string(in, "file_id", path)};
  else
    invalid(path + ".type", "must be github_repository or file");
  r.mount_path = require_string(in, "mount_path", path);
  r.created_at = optional_string(in, "created_at", path).value_or("");
  r.updated_at = optional_string(in, "updated_at", path).value_or("");
}

}  // namespace cove::domain
