// Names and URL paths of the forge: repository names ("owner/name"), request paths
// ("/owner/name.git/info/refs"), and which requests are git smart-HTTP (fetch or push) rather
// than web pages. Pure functions; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cove::forge {

// An owner or repository name GitHub would accept: 1-100 of [A-Za-z0-9._-], not "." or "..",
// and (for names) not ending in ".git". Throws std::invalid_argument naming the problem.
void check_name(std::string_view what, std::string_view value);

struct RepoName {
  std::string owner;
  std::string name;
  std::string full() const { return owner + "/" + name; }
};
// "owner/name" (an optional ".git" suffix is dropped); throws std::invalid_argument.
RepoName parse_repo_name(std::string_view full_name);

// A request target split into path and query, the path percent-decoded.
struct Target {
  std::string path;
  std::string query;
};
// nullopt when the target is not an absolute path or has malformed percent escapes.
std::optional<Target> split_target(std::string_view target);

// A path below a repository: "/owner/name.git/info/refs" → owner, name, "/info/refs".
struct RepoPath {
  std::string owner;
  std::string name;
  bool dot_git = false;  // the name was spelled with ".git"
  std::string rest;      // "" or starting with '/'
};
std::optional<RepoPath> parse_repo_path(std::string_view path);

// What a git smart-HTTP request asks for.
enum class GitService { none, upload_pack, receive_pack };
struct GitRequest {
  bool is_git = false;  // served by git http-backend
  GitService service = GitService::none;
  bool push() const { return service == GitService::receive_pack; }
};
// `rest` as from parse_repo_path, `query` the raw query string.
GitRequest classify_git_request(std::string_view method, std::string_view rest,
                                std::string_view query);

// The value of one query parameter ("" when absent), percent-decoded.
std::string query_param(std::string_view query, std::string_view name);

}  // namespace cove::forge
