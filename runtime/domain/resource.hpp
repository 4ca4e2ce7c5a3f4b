// Session resources, the kinds cove supports: a GitHub repository (cloned from the cache and
// mounted below /workspace, optionally at a branch or commit) and an uploaded file (mounted
// below /workspace or /mnt/session). A repository's authorization token is write-only: it
// is parsed from the request but never part of the resource, so to_json cannot leak it.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "runtime/domain/fields.hpp"

namespace cove::domain {

struct RepositoryCheckout {
  enum class Kind { branch, commit };
  Kind kind = Kind::branch;
  std::string ref;  // the branch name or the commit sha
};

struct GithubRepository {
  std::string url;  // http(s), no credentials
  std::optional<RepositoryCheckout> checkout;
};

struct SessionFile {
  std::string file_id;
};

struct Resource {
  std::string id;  // "sesrsc_..."
  std::variant<GithubRepository, SessionFile> source;
  std::string mount_path;  // absolute, normal, below the roots its kind allows
  std::string created_at, updated_at;

  const GithubRepository* repository() const { return std::get_if<GithubRepository>(&source); }
  std::string type() const;  // "github_repository" or "file"
};

// {type: branch, name}, {type: commit, sha} or null.
std::optional<RepositoryCheckout> parse_checkout(const json& value, const std::string& path);

void to_json(json& out, const Resource& resource);
// A stored resource (fields checked, mount path trusted).
void from_json(const json& in, Resource& resource);

// A resource as a client asks for it: the resource (id and timestamps left for the caller)
// and the token, if one was given.
struct ResourceRequest {
  Resource resource;
  std::optional<std::string> authorization_token;
};
// Validates a request's resource parameters; errors name fields below `path`
// ("resources[0].mount_path must be absolute").
ResourceRequest parse_resource_request(const json& params, const std::string& path);

}  // namespace cove::domain
