// The GitHub MCP tools the forge offers: names, annotations and input schemas as GitHub's
// server publishes them (shared/spec/mcp-client.md §5.3), so agents written against GitHub
// call the forge unchanged. The descriptions are the forge's own.
#include "runtime/forge/tool_schemas.hpp"

namespace cove::forge {

namespace {

constexpr const char* kTools = R"json([
{"name": "get_file_contents", "title": "Get file or directory contents", "read_only": true,
 "description": "Get the contents of a file or directory from a repository. Files come back as an embedded resource (text or base64 blob) with the blob SHA in the message; directories as a JSON array of entries.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner (username or organization)"},
  "repo": {"type": "string", "description": "Repository name"},
  "path": {"type": "string", "default": "/", "description": "Path to file/directory"},
  "ref": {"type": "string", "description": "Optional git ref: refs/heads/{branch}, refs/tags/{tag}, refs/pull/{number}/head, or a branch name"},
  "sha": {"type": "string", "description": "Optional commit SHA; used instead of ref when given"},
  "fields": {"type": "array", "description": "Subset of fields to return for each entry of a directory listing (ignored for files)",
             "items": {"type": "string", "enum": ["type", "name", "path", "size", "sha", "url", "git_url", "html_url", "download_url"]}}},
 "required": ["owner", "repo"]},
{"name": "list_branches", "title": "List branches", "read_only": true,
 "description": "List the branches of a repository with their head commit SHAs.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"}},
 "required": ["owner", "repo"]},
{"name": "create_branch", "title": "Create branch", "read_only": false,
 "description": "Create a new branch in a repository, starting at the head of another branch (the default branch unless from_branch is given).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "branch": {"type": "string", "description": "Name for new branch"},
  "from_branch": {"type": "string", "description": "Source branch (defaults to repo default)"}},
 "required": ["owner", "repo", "branch"]},
{"name": "create_or_update_file", "title": "Create or update file", "read_only": false,
 "description": "Create or update one file in a repository with a commit on the given branch. To update an existing file, pass the blob SHA of the version being replaced (get_file_contents reports it, or `git rev-parse <branch>:<path>`); a missing or stale SHA is refused.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner (username or organization)"},
  "repo": {"type": "string", "description": "Repository name"},
  "path": {"type": "string", "description": "Path where to create/update the file"},
  "content": {"type": "string", "description": "Content of the file exactly as it should be written (plain text, not base64)"},
  "message": {"type": "string", "description": "Commit message"},
  "branch": {"type": "string", "description": "Branch to create/update the file in"},
  "sha": {"type": "string", "description": "The blob SHA of the file being replaced. Required if the file already exists."},
  "allow_symlink_write": {"type": "boolean", "default": false, "description": "Set true to update a symbolic link itself; content must be its new target path."}},
 "required": ["owner", "repo", "path", "content", "message", "branch"]},
{"name": "push_files", "title": "Push files to repository", "read_only": false,
 "description": "Write several files to a branch in a single commit (the branch is created from the default branch when it does not exist).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "branch": {"type": "string", "description": "Branch to push to"},
  "files": {"type": "array", "description": "Array of file objects to push, each object with path (string) and content (string)",
            "items": {"type": "object", "additionalProperties": false,
                      "properties": {"path": {"type": "string", "description": "path to the file"},
                                     "content": {"type": "string", "description": "file content"}},
                      "required": ["path", "content"]}},
  "message": {"type": "string", "description": "Commit message"}},
 "required": ["owner", "repo", "branch", "files", "message"]},
{"name": "list_commits", "title": "List commits", "read_only": true,
 "description": "List the commits of a branch, tag or SHA (default: the default branch), newest first, 30 per page unless perPage says otherwise (at most 100).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "sha": {"type": "string", "description": "Commit SHA, branch or tag name to list commits of (default: the default branch)"},
  "path": {"type": "string", "description": "Only commits changing this file path"},
  "author": {"type": "string", "description": "Only commits whose author name or email contains this text"},
  "since": {"type": "string", "description": "Only commits after this date (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD)"},
  "until": {"type": "string", "description": "Only commits before this date (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD)"},
  "fields": {"type": "array", "description": "Subset of fields to return for each commit",
             "items": {"type": "string", "enum": ["sha", "html_url", "commit", "author", "committer"]}},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"}},
 "required": ["owner", "repo"]},
{"name": "get_commit", "title": "Get commit details", "read_only": true,
 "description": "Get one commit: message, author, parents, and the changed files (with line counts, and with patches when detail is full_patch).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "sha": {"type": "string", "description": "Commit SHA, branch name, or tag name"},
  "detail": {"type": "string", "enum": ["none", "stats", "full_patch"], "default": "stats", "description": "none: no files; stats (default): per-file line counts; full_patch: also each file's unified diff"},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination of the files (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Files per page (min 1, max 100)"}},
 "required": ["owner", "repo", "sha"]},
{"name": "search_code", "title": "Search code", "read_only": true,
 "description": "Search the files of the default branch of every repository the token can read. Terms are ANDed (case-insensitive substrings); supports OR, NOT, \"quoted phrases\", /regular expressions/ and the qualifiers repo:, org:, user:, path:, filename:, extension:, language: and in:path. At most 256 characters.",
 "properties": {
  "query": {"type": "string", "description": "Search query, e.g. `parse_config repo:owner/name extension:cpp`"},
  "sort": {"type": "string", "description": "Sort field ('indexed' only)"},
  "order": {"type": "string", "enum": ["asc", "desc"], "description": "Sort order for results"},
  "fields": {"type": "array", "description": "Subset of fields to return for each result",
             "items": {"type": "string", "enum": ["name", "path", "sha", "repository", "text_matches"]}},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"}},
 "required": ["query"]},
{"name": "create_pull_request", "title": "Open new pull request", "read_only": false,
 "description": "Open a pull request from a head branch into a base branch of the same repository.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "title": {"type": "string", "description": "PR title"},
  "head": {"type": "string", "description": "Branch containing changes"},
  "base": {"type": "string", "description": "Branch to merge into"},
  "body": {"type": "string", "description": "PR description"},
  "draft": {"type": "boolean", "description": "Create as draft PR"},
  "maintainer_can_modify": {"type": "boolean", "description": "Allow maintainer edits"},
  "reviewers": {"type": "array", "items": {"type": "string"}, "description": "Usernames to request reviews from"}},
 "required": ["owner", "repo", "title", "head", "base"]},
{"name": "list_pull_requests", "title": "List pull requests", "read_only": true,
 "description": "List the pull requests of a repository (open ones unless state says otherwise).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "state": {"type": "string", "enum": ["open", "closed", "all"], "description": "Filter by state"},
  "head": {"type": "string", "description": "Filter by head branch (branch or owner:branch)"},
  "base": {"type": "string", "description": "Filter by base branch"},
  "sort": {"type": "string", "enum": ["created", "updated", "popularity", "long-running"], "description": "Sort by"},
  "direction": {"type": "string", "enum": ["asc", "desc"], "description": "Sort direction"},
  "fields": {"type": "array", "description": "Subset of fields to return for each pull request",
             "items": {"type": "string", "enum": ["number", "title", "body", "state", "draft", "merged", "mergeable_state", "html_url", "user", "labels", "assignees", "requested_reviewers", "merged_by", "head", "base", "additions", "deletions", "changed_files", "commits", "comments", "created_at", "updated_at", "closed_at", "merged_at", "milestone"]}},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"}},
 "required": ["owner", "repo"]},
{"name": "pull_request_read", "title": "Get details for a single pull request", "read_only": true,
 "description": "Read one pull request. method: get (details), get_diff (unified diff), get_status (combined commit status of the head), get_files (changed files), get_commits, get_review_comments, get_reviews, get_comments (conversation comments), get_check_runs.",
 "properties": {
  "method": {"type": "string", "enum": ["get", "get_diff", "get_status", "get_files", "get_commits", "get_review_comments", "get_reviews", "get_comments", "get_check_runs"], "description": "What to read"},
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "pullNumber": {"type": "number", "description": "Pull request number"},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"},
  "after": {"type": "string", "description": "Cursor for get_review_comments pagination"}},
 "required": ["method", "owner", "repo", "pullNumber"]},
{"name": "update_pull_request", "title": "Edit pull request", "read_only": false,
 "description": "Change a pull request's title, body, state (open/closed), base branch, draft flag or reviewers.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "pullNumber": {"type": "number", "description": "Pull request number to update"},
  "title": {"type": "string", "description": "New title"},
  "body": {"type": "string", "description": "New description"},
  "state": {"type": "string", "enum": ["open", "closed"], "description": "New state"},
  "base": {"type": "string", "description": "New base branch name"},
  "draft": {"type": "boolean", "description": "Mark pull request as draft (true) or ready for review (false)"},
  "maintainer_can_modify": {"type": "boolean", "description": "Allow maintainer edits"},
  "reviewers": {"type": "array", "items": {"type": "string"}, "description": "Usernames to request reviews from"}},
 "required": ["owner", "repo", "pullNumber"]},
{"name": "merge_pull_request", "title": "Merge pull request", "read_only": false,
 "description": "Merge an open pull request into its base branch: merge (a merge commit, the default), squash (one commit) or rebase (the commits replayed).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "pullNumber": {"type": "number", "description": "Pull request number"},
  "merge_method": {"type": "string", "enum": ["merge", "squash", "rebase"], "description": "Merge method"},
  "commit_title": {"type": "string", "description": "Title for merge commit"},
  "commit_message": {"type": "string", "description": "Extra detail for merge commit"}},
 "required": ["owner", "repo", "pullNumber"]},
{"name": "list_issues", "title": "List issues", "read_only": true,
 "description": "List the issues of a repository (open and closed unless state says otherwise). Page with perPage and the endCursor of the previous answer's pageInfo as after.",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "state": {"type": "string", "enum": ["OPEN", "CLOSED"], "description": "Filter by state (both when omitted)"},
  "labels": {"type": "array", "items": {"type": "string"}, "description": "Filter by labels"},
  "orderBy": {"type": "string", "enum": ["CREATED_AT", "UPDATED_AT", "COMMENTS"], "description": "Order issues by field"},
  "direction": {"type": "string", "enum": ["ASC", "DESC"], "description": "Order direction"},
  "since": {"type": "string", "description": "Only issues updated at or after this ISO 8601 time"},
  "after": {"type": "string", "description": "Cursor for pagination (endCursor of the previous page)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"},
  "fields": {"type": "array", "description": "Subset of fields to return for each issue",
             "items": {"type": "string", "enum": ["number", "title", "body", "state", "user", "labels", "assignees", "comments", "created_at", "updated_at", "field_values"]}},
  "field_filters": {"type": "array", "description": "Custom issue field filters (not supported by this forge; must be empty)",
                    "items": {"type": "object", "properties": {"field_name": {"type": "string"}, "value": {"type": "string"}}, "required": ["field_name", "value"]}}},
 "required": ["owner", "repo"]},
{"name": "issue_read", "title": "Get issue details", "read_only": true,
 "description": "Read one issue (or pull request, as an issue). method: get, get_comments, get_sub_issues, get_parent, get_labels.",
 "properties": {
  "method": {"type": "string", "enum": ["get", "get_comments", "get_sub_issues", "get_parent", "get_labels"], "description": "What to read"},
  "owner": {"type": "string", "description": "The owner of the repository"},
  "repo": {"type": "string", "description": "The name of the repository"},
  "issue_number": {"type": "number", "description": "The number of the issue"},
  "page": {"type": "number", "minimum": 1, "description": "Page number for pagination (min 1)"},
  "perPage": {"type": "number", "minimum": 1, "maximum": 100, "description": "Results per page for pagination (min 1, max 100)"}},
 "required": ["method", "owner", "repo", "issue_number"]},
{"name": "issue_write", "title": "Create or update issue/pull request", "read_only": false,
 "description": "Create an issue (method create) or update one (method update with issue_number): title, body, labels, assignees, state and state_reason.",
 "properties": {
  "method": {"type": "string", "enum": ["create", "update"], "description": "create or update"},
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "issue_number": {"type": "number", "description": "Issue number to update"},
  "title": {"type": "string", "description": "Issue title"},
  "body": {"type": "string", "description": "Issue body content"},
  "labels": {"type": "array", "items": {"type": "string"}, "description": "Labels to apply to this issue"},
  "assignees": {"type": "array", "items": {"type": "string"}, "description": "Usernames to assign to this issue"},
  "milestone": {"type": "number", "description": "Milestone number (not supported by this forge)"},
  "state": {"type": "string", "enum": ["open", "closed"], "description": "New state"},
  "state_reason": {"type": "string", "enum": ["completed", "not_planned", "duplicate"], "description": "Reason for the state change"},
  "duplicate_of": {"type": "number", "description": "Issue number that this issue duplicates (with state_reason duplicate)"},
  "type": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}], "description": "Issue type (not supported by this forge)"},
  "issue_fields": {"type": "array", "description": "Custom issue fields (not supported by this forge)",
                   "items": {"type": "object", "properties": {"field_name": {"type": "string"}}, "required": ["field_name"]}}},
 "required": ["method", "owner", "repo"]},
{"name": "add_issue_comment", "title": "Add comment to issue or pull request", "read_only": false,
 "description": "Add a comment to an issue or a pull request (pass the pull request number as issue_number).",
 "properties": {
  "owner": {"type": "string", "description": "Repository owner"},
  "repo": {"type": "string", "description": "Repository name"},
  "issue_number": {"type": "number", "description": "Issue or pull request number to comment on"},
  "body": {"type": "string", "minLength": 1, "description": "Comment content"},
  "reaction": {"type": "string", "enum": ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"], "description": "Emoji reaction (not supported by this forge)"},
  "comment_id": {"type": "integer", "minimum": 1, "description": "Comment to react to (not supported by this forge)"}},
 "required": ["owner", "repo", "issue_number"]}
])json";

}  // namespace

const nlohmann::json& tool_definitions() {
  static const nlohmann::json tools = [] {
    auto raw = nlohmann::json::parse(kTools);
    nlohmann::json out = nlohmann::json::array();
    for (auto& t : raw) {
      bool read_only = t["read_only"].get<bool>();
      nlohmann::json schema = {
          {"type", "object"}, {"properties", t["properties"]}, {"required", t["required"]}};
      out.push_back(
          {{"name", t["name"]},
           {"title", t["title"]},
           {"description", t["description"]},
           {"inputSchema", schema},
           {"annotations",
            {{"title", t["title"]}, {"readOnlyHint", read_only}, {"idempotentHint", false}}}});
    }
    return out;
  }();
  return tools;
}

const nlohmann::json* tool_definition(const std::string& name) {
  for (const auto& t : tool_definitions())
    if (t["name"] == name) return &t;
  return nullptr;
}

bool tool_is_read_only(const std::string& name) {
  auto* t = tool_definition(name);
  return t && (*t)["annotations"]["readOnlyHint"].get<bool>();
}

}  // namespace cove::forge
