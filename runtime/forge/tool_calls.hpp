// Shared pieces of the forge's tool implementations (tools_repo.cpp, tools_pulls.cpp,
// github_tools.cpp) and of the web pages: the call context, JSON shapes of GitHub objects,
// and pull-request state. Internal to runtime/forge.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/forge/forge_home.hpp"
#include "runtime/forge/git_repo.hpp"

namespace cove::forge {

using json = nlohmann::json;

// A tool failure: becomes an isError result carrying the message.
struct GitHubToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Everything one tool call needs.
struct ToolContext {
  ForgeHome& home;
  const std::string& base;  // public URL, no trailing slash
  const TokenRecord& token;
  const json& args;

  // The repository named by args owner/repo; GitHubToolError 404 when missing or unreadable, 403
  // when `write` and the token may not write.
  RepoRow repo(bool write) const;
  Identity identity() const { return {token.login, noreply_email(token.login)}; }
  int page() const;
  int per_page(int fallback = 30) const;
};

// URLs of the forge's web pages.
std::string repo_url(const std::string& base, const RepoRow& repo);
std::string commit_url(const std::string& base, const RepoRow& repo, const std::string& sha);
std::string pull_url(const std::string& base, const RepoRow& repo, int number);
std::string issue_url(const std::string& base, const RepoRow& repo, int number);

json user_json(const std::string& base, const std::string& login);
json person_json(const GitPerson& p);
json commit_json(const std::string& base, const RepoRow& repo, const GitCommitInfo& c);
json file_change_json(const FileChange& f, bool with_patch);
json text_result(const std::string& text);
json json_result(const json& value);
// Keeps only `fields` of every object in `items` (all of them when fields is empty).
json pick_fields(const json& items, const std::vector<std::string>& fields);
// "2026-01-02" → "2026-01-02T00:00:00Z"; full timestamps pass; GitHubToolError naming `what` else.
std::string normalize_date(const std::string& value, const std::string& what);

// Where a pull request's branches stand: live branch tips while it is open (the recorded
// ones when a branch is gone), the recorded ones once it is closed or merged.
struct PullState {
  std::string head_sha;
  std::string base_sha;
  std::string merge_base;
};
PullState pull_state(const GitRepo& git, const Item& pr);

json pull_json(const std::string& base, ForgeDb& db, const GitRepo& git, const RepoRow& repo,
               const Item& pr, bool details);
json issue_json(const std::string& base, ForgeDb& db, const RepoRow& repo, const Item& issue);
json comment_json(const std::string& base, const RepoRow& repo, const Comment& c);

// A commit from a ref as get_file_contents takes it: a sha, a branch or tag name, a full ref
// name, or refs/pull/N/head.
std::optional<std::string> resolve_ref(ForgeDb& db, const GitRepo& git, const RepoRow& repo,
                                       const std::string& ref);

// The tools, one function each.
json tool_get_file_contents(const ToolContext& ctx);
json tool_list_branches(const ToolContext& ctx);
json tool_create_branch(const ToolContext& ctx);
json tool_create_or_update_file(const ToolContext& ctx);
json tool_push_files(const ToolContext& ctx);
json tool_list_commits(const ToolContext& ctx);
json tool_get_commit(const ToolContext& ctx);
json tool_search_code(const ToolContext& ctx);
json tool_create_pull_request(const ToolContext& ctx);
json tool_list_pull_requests(const ToolContext& ctx);
json tool_pull_request_read(const ToolContext& ctx);
json tool_update_pull_request(const ToolContext& ctx);
json tool_merge_pull_request(const ToolContext& ctx);
json tool_list_issues(const ToolContext& ctx);
json tool_issue_read(const ToolContext& ctx);
json tool_issue_write(const ToolContext& ctx);
json tool_add_issue_comment(const ToolContext& ctx);

}  // namespace cove::forge
