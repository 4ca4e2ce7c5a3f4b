// Pull request, issue and comment tools: state in the forge database, branches and merges in
// git.
#include <algorithm>
#include <mutex>

#include "runtime/forge/tool_calls.hpp"
#include "runtime/forge/tool_schemas.hpp"

namespace cove::forge {

namespace {

constexpr int kMergeAttempts = 5;

// The pull request of args.pullNumber; GitHubToolError 404 naming the action otherwise.
Item find_pull(const ToolContext& ctx, const RepoRow& repo, const std::string& action) {
  int number = int_arg(ctx.args, "pullNumber", 0);
  auto pr = ctx.home.db().item(repo.id, number);
  if (!pr || !pr->is_pull)
    throw GitHubToolError("failed to " + action + ": 404 Not Found: no pull request #" +
                          std::to_string(number) + " in " + repo.full_name());
  return *pr;
}

Item find_issue(const ToolContext& ctx, const RepoRow& repo, const std::string& action) {
  int number = int_arg(ctx.args, "issue_number", 0);
  auto issue = ctx.home.db().item(repo.id, number);
  if (!issue)
    throw GitHubToolError("failed to " + action + ": 404 Not Found: no issue #" +
                          std::to_string(number) + " in " + repo.full_name());
  return *issue;
}

// "owner:branch" → "branch" when owner is the repository's (forks do not exist here).
std::string branch_of(const RepoRow& repo, const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos) return spec;
  if (!iequals(spec.substr(0, colon), repo.owner))
    throw GitHubToolError("422 Validation Failed: head '" + spec +
                          "' names another owner; this forge has no forks");
  return spec.substr(colon + 1);
}

json page_of(const json& all, int page, int per_page) {
  json out = json::array();
  auto begin = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(per_page);
  for (std::size_t i = begin; i < all.size() && i < begin + static_cast<std::size_t>(per_page); ++i)
    out.push_back(all[i]);
  return out;
}

// Records where the branches stood when a pull request stops being open.
void freeze_branches(const GitRepo& git, Item& pr) {
  if (auto h = git.branch_sha(pr.head_ref)) pr.head_sha = *h;
  if (auto b = git.branch_sha(pr.base_ref)) pr.base_sha = *b;
}

}  // namespace

json tool_create_pull_request(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  auto head = branch_of(repo, str_arg(ctx.args, "head"));
  auto base = branch_of(repo, str_arg(ctx.args, "base"));
  GitRepo git(ctx.home.git_dir(repo));
  const std::string failed = "failed to create pull request: 422 Validation Failed: ";
  auto head_sha = git.branch_sha(head);
  if (!head_sha) throw GitHubToolError(failed + "head branch '" + head + "' does not exist");
  auto base_sha = git.branch_sha(base);
  if (!base_sha) throw GitHubToolError(failed + "base branch '" + base + "' does not exist");
  if (head == base)
    throw GitHubToolError(failed + "head and base are the same branch (" + head + ")");
  if (git.merge_base(*base_sha, *head_sha) == *head_sha)
    throw GitHubToolError(failed + "No commits between " + base + " and " + head);
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  ItemFilter open;
  open.is_pull = true;
  open.state = "open";
  open.head_ref = head;
  open.base_ref = base;
  if (!ctx.home.db().items(repo.id, open, 1, 1).empty())
    throw GitHubToolError(failed + "A pull request already exists for " + repo.owner + ":" + head +
                          ".");
  Item pr;
  pr.repo_id = repo.id;
  pr.is_pull = true;
  pr.title = str_arg(ctx.args, "title");
  pr.body = str_arg(ctx.args, "body");
  pr.user = ctx.token.login;
  pr.draft = opt_bool_arg(ctx.args, "draft").value_or(false);
  pr.maintainer_can_modify = opt_bool_arg(ctx.args, "maintainer_can_modify").value_or(false);
  pr.reviewers = list_arg(ctx.args, "reviewers");
  pr.head_ref = head;
  pr.base_ref = base;
  pr.head_sha = *head_sha;
  pr.base_sha = *base_sha;
  pr.created_at = pr.updated_at = now_iso8601();
  pr = ctx.home.db().insert_item(pr);
  return json_result(pull_json(ctx.base, ctx.home.db(), git, repo, pr, false));
}

json tool_list_pull_requests(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  GitRepo git(ctx.home.git_dir(repo));
  ItemFilter f;
  f.is_pull = true;
  auto state = str_arg(ctx.args, "state", "open");
  f.state = state == "all" ? "" : state;
  if (auto head = opt_str_arg(ctx.args, "head")) f.head_ref = branch_of(repo, *head);
  f.base_ref = str_arg(ctx.args, "base");
  auto sort = str_arg(ctx.args, "sort", "created");
  f.order_by = sort == "updated" ? "updated" : sort == "popularity" ? "comments" : "created";
  f.newest_first =
      str_arg(ctx.args, "direction", sort == "long-running" ? "asc" : "desc") == "desc";
  auto items = ctx.home.db().items(repo.id, f, ctx.page(), ctx.per_page());
  json out = json::array();
  for (const auto& pr : items)
    out.push_back(pull_json(ctx.base, ctx.home.db(), git, repo, pr, false));
  return json_result(pick_fields(out, list_arg(ctx.args, "fields")));
}

json tool_pull_request_read(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  auto method = str_arg(ctx.args, "method");
  auto pr = find_pull(ctx, repo, "get pull request");
  GitRepo git(ctx.home.git_dir(repo));
  auto st = pull_state(git, pr);
  if (method == "get") return json_result(pull_json(ctx.base, ctx.home.db(), git, repo, pr, true));
  if (method == "get_diff")
    return text_result(st.head_sha.empty() ? "" : git.diff_text(st.merge_base, st.head_sha));
  if (method == "get_status")
    return json_result({{"state", "pending"},
                        {"sha", st.head_sha},
                        {"total_count", 0},
                        {"statuses", json::array()}});
  if (method == "get_files") {
    json files = json::array();
    if (!st.head_sha.empty())
      for (const auto& f : git.diff(st.merge_base, st.head_sha, true))
        files.push_back(file_change_json(f, true));
    return json_result(page_of(files, ctx.page(), ctx.per_page()));
  }
  if (method == "get_commits") {
    json commits = json::array();
    if (!st.head_sha.empty()) {
      auto log = git.log(st.head_sha, st.base_sha, "", 0, 10000);
      std::reverse(log.begin(), log.end());  // oldest first, like GitHub
      for (const auto& c : log)
        commits.push_back({{"sha", c.sha},
                           {"html_url", commit_url(ctx.base, repo, c.sha)},
                           {"message", c.message},
                           {"author", person_json(c.author)}});
    }
    return json_result(page_of(commits, ctx.page(), ctx.per_page()));
  }
  if (method == "get_review_comments")
    return json_result({{"reviewThreads", json::array()},
                        {"totalCount", 0},
                        {"pageInfo",
                         {{"hasNextPage", false},
                          {"hasPreviousPage", false},
                          {"startCursor", ""},
                          {"endCursor", ""}}}});
  if (method == "get_reviews") return json_result(json::array());
  if (method == "get_comments") {
    json out = json::array();
    for (const auto& c : ctx.home.db().comments(repo.id, pr.number, ctx.page(), ctx.per_page()))
      out.push_back(comment_json(ctx.base, repo, c));
    return json_result(out);
  }
  if (method == "get_check_runs")
    return json_result({{"total_count", 0}, {"check_runs", json::array()}});
  throw GitHubToolError("unknown method: " + method);
}

json tool_update_pull_request(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  auto pr = find_pull(ctx, repo, "update pull request");
  GitRepo git(ctx.home.git_dir(repo));
  bool changed = false;
  if (auto v = opt_str_arg(ctx.args, "title")) pr.title = *v, changed = true;
  if (auto v = opt_str_arg(ctx.args, "body")) pr.body = *v, changed = true;
  if (auto v = opt_bool_arg(ctx.args, "draft")) pr.draft = *v, changed = true;
  if (auto v = opt_bool_arg(ctx.args, "maintainer_can_modify"))
    pr.maintainer_can_modify = *v, changed = true;
  if (ctx.args.contains("reviewers"))
    pr.reviewers = list_arg(ctx.args, "reviewers"), changed = true;
  const std::string failed = "failed to update pull request: 422 Validation Failed: ";
  if (auto base = opt_str_arg(ctx.args, "base")) {
    if (pr.state != "open")
      throw GitHubToolError(failed + "cannot change the base of a closed pull request");
    if (!git.branch_sha(*base))
      throw GitHubToolError(failed + "base branch '" + *base + "' does not exist");
    if (*base == pr.head_ref) throw GitHubToolError(failed + "head and base are the same branch");
    pr.base_ref = *base;
    changed = true;
  }
  if (auto state = opt_str_arg(ctx.args, "state")) {
    changed = true;
    if (*state == "closed" && pr.state == "open") {
      freeze_branches(git, pr);
      pr.state = "closed";
      pr.closed_at = now_iso8601();
    } else if (*state == "open" && pr.state == "closed") {
      if (pr.merged) throw GitHubToolError(failed + "a merged pull request cannot be reopened");
      if (!git.branch_sha(pr.head_ref))
        throw GitHubToolError(failed + "head branch '" + pr.head_ref + "' no longer exists");
      pr.state = "open";
      pr.closed_at.clear();
    }
  }
  if (!changed) throw GitHubToolError("No update parameters provided.");
  pr.updated_at = now_iso8601();
  ctx.home.db().update_item(pr);
  return json_result(pull_json(ctx.base, ctx.home.db(), git, repo, pr, false));
}

json tool_merge_pull_request(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  auto pr = find_pull(ctx, repo, "merge pull request");
  const std::string failed = "failed to merge pull request: 405 ";
  if (pr.merged) throw GitHubToolError(failed + "Pull Request is already merged");
  if (pr.state != "open")
    throw GitHubToolError(failed + "Pull Request is not mergeable: it is closed");
  if (pr.draft) throw GitHubToolError(failed + "Pull Request is still a draft");
  auto method = str_arg(ctx.args, "merge_method", "merge");
  auto title = opt_str_arg(ctx.args, "commit_title");
  auto message = opt_str_arg(ctx.args, "commit_message");
  GitRepo git(ctx.home.git_dir(repo));
  auto identity = ctx.identity();
  for (int attempt = 0; attempt < kMergeAttempts; ++attempt) {
    auto base_tip = git.branch_sha(pr.base_ref);
    auto head_tip = git.branch_sha(pr.head_ref);
    if (!base_tip)
      throw GitHubToolError(failed + "base branch '" + pr.base_ref + "' no longer exists");
    if (!head_tip)
      throw GitHubToolError(failed + "head branch '" + pr.head_ref + "' no longer exists");
    if (git.merge_base(*base_tip, *head_tip) == *head_tip)
      throw GitHubToolError(failed + "Pull Request is not mergeable: " + pr.base_ref +
                            " already contains every commit of " + pr.head_ref);
    std::string merged;
    if (method == "rebase") {
      auto commits = git.log(*head_tip, *base_tip, "", 0, 10000);
      std::reverse(commits.begin(), commits.end());
      std::string onto = *base_tip;
      for (const auto& c : commits) {
        if (c.parents.size() != 1)
          throw GitHubToolError(failed +
                                "Pull Request is not rebaseable: it contains merge commits");
        auto tree = git.cherry_pick(c.sha, onto);
        if (!tree)
          throw GitHubToolError(failed + "Pull Request is not rebaseable: commit " +
                                c.sha.substr(0, 7) + " conflicts with " + pr.base_ref);
        onto = git.create_commit(*tree, {onto}, c.message, identity, &c);
      }
      merged = onto;
    } else {
      auto tree = git.merge_trees(*base_tip, *head_tip);
      if (!tree) throw GitHubToolError(failed + "Pull Request is not mergeable: merge conflict");
      std::string text;
      if (method == "squash") {
        text = title.value_or(pr.title + " (#" + std::to_string(pr.number) + ")");
        std::string detail;
        if (message) {
          detail = *message;
        } else {
          auto commits = git.log(*head_tip, *base_tip, "", 0, 10000);
          std::reverse(commits.begin(), commits.end());
          for (const auto& c : commits)
            detail += "* " + c.message.substr(0, c.message.find('\n')) + "\n";
        }
        if (!detail.empty()) text += "\n\n" + detail;
        merged = git.create_commit(*tree, {*base_tip}, text, identity);
      } else {
        text = title.value_or("Merge pull request #" + std::to_string(pr.number) + " from " +
                              repo.owner + "/" + pr.head_ref);
        text += "\n\n" + message.value_or(pr.title);
        merged = git.create_commit(*tree, {*base_tip, *head_tip}, text, identity);
      }
    }
    if (!git.update_branch(pr.base_ref, merged, *base_tip, "merge pull request")) continue;
    auto now = now_iso8601();
    pr.state = "closed";
    pr.merged = true;
    pr.merged_at = pr.closed_at = pr.updated_at = now;
    pr.merged_by = ctx.token.login;
    pr.merge_commit_sha = merged;
    pr.head_sha = *head_tip;
    pr.base_sha = *base_tip;
    ctx.home.db().update_item(pr);
    return json_result(
        {{"sha", merged}, {"merged", true}, {"message", "Pull Request successfully merged"}});
  }
  throw GitHubToolError(failed + "the base branch kept moving; try again");
}

json tool_list_issues(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  if (ctx.args.contains("field_filters") && !ctx.args["field_filters"].empty())
    throw GitHubToolError("field_filters: this forge has no custom issue fields");
  ItemFilter f;
  f.is_pull = false;
  auto state = str_arg(ctx.args, "state");
  f.state = state == "OPEN" ? "open" : state == "CLOSED" ? "closed" : "";
  f.labels = list_arg(ctx.args, "labels");
  if (auto since = opt_str_arg(ctx.args, "since")) f.since = normalize_date(*since, "since");
  auto order = str_arg(ctx.args, "orderBy", "CREATED_AT");
  f.order_by = order == "UPDATED_AT" ? "updated" : order == "COMMENTS" ? "comments" : "created";
  f.newest_first = str_arg(ctx.args, "direction", "DESC") == "DESC";
  int per_page = ctx.per_page(30);
  int offset = 0;
  if (auto after = opt_str_arg(ctx.args, "after"); after && !after->empty()) {
    auto decoded = base64_decode(*after).value_or("");
    if (decoded.rfind("cursor:", 0) != 0 || decoded.size() == 7 ||
        decoded.find_first_not_of("0123456789", 7) != std::string::npos || decoded.size() > 16)
      throw GitHubToolError("invalid after cursor: '" + *after + "'");
    offset = std::stoi(decoded.substr(7));
  }
  int total = 0;
  // Offsets need not be page-aligned: fetch from the start and cut.
  auto items = ctx.home.db().items(repo.id, f, 1, offset + per_page, &total);
  json issues = json::array();
  for (std::size_t i = static_cast<std::size_t>(offset); i < items.size(); ++i)
    issues.push_back(issue_json(ctx.base, ctx.home.db(), repo, items[i]));
  int end = offset + static_cast<int>(issues.size());
  auto cursor = [](int n) { return base64_encode("cursor:" + std::to_string(n)); };
  return json_result({{"issues", pick_fields(issues, list_arg(ctx.args, "fields"))},
                      {"totalCount", total},
                      {"pageInfo",
                       {{"hasNextPage", end < total},
                        {"hasPreviousPage", offset > 0},
                        {"startCursor", issues.empty() ? "" : cursor(offset)},
                        {"endCursor", issues.empty() ? "" : cursor(end)}}}});
}

json tool_issue_read(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  auto method = str_arg(ctx.args, "method");
  auto issue = find_issue(ctx, repo, "get issue");
  if (method == "get") return json_result(issue_json(ctx.base, ctx.home.db(), repo, issue));
  if (method == "get_comments") {
    json out = json::array();
    for (const auto& c : ctx.home.db().comments(repo.id, issue.number, ctx.page(), ctx.per_page()))
      out.push_back(comment_json(ctx.base, repo, c));
    return json_result(out);
  }
  if (method == "get_sub_issues") return json_result(json::array());
  if (method == "get_parent")
    throw GitHubToolError("issue #" + std::to_string(issue.number) + " has no parent issue");
  if (method == "get_labels") {
    json out = json::array();
    for (const auto& l : issue.labels)
      out.push_back({{"name", l}});
    return json_result(out);
  }
  throw GitHubToolError("unknown method: " + method);
}

json tool_issue_write(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  auto method = str_arg(ctx.args, "method");
  for (const char* unsupported : {"milestone", "type", "issue_fields"})
    if (ctx.args.contains(unsupported) && !ctx.args[unsupported].is_null() &&
        !(ctx.args[unsupported].is_array() && ctx.args[unsupported].empty()))
      throw GitHubToolError(
          std::string("parameter ") + unsupported +
          " is not supported by this forge (no milestones, issue types or fields)");
  auto state_reason = str_arg(ctx.args, "state_reason");
  if (state_reason == "duplicate" && !ctx.args.contains("duplicate_of"))
    throw GitHubToolError("missing required parameter: duplicate_of (state_reason is duplicate)");
  Item issue;
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  if (method == "create") {
    auto title = str_arg(ctx.args, "title");
    if (title.empty()) throw GitHubToolError("missing required parameter: title");
    issue.repo_id = repo.id;
    issue.title = title;
    issue.body = str_arg(ctx.args, "body");
    issue.user = ctx.token.login;
    issue.labels = list_arg(ctx.args, "labels");
    issue.assignees = list_arg(ctx.args, "assignees");
    issue.created_at = issue.updated_at = now_iso8601();
    if (str_arg(ctx.args, "state") == "closed") {
      issue.state = "closed";
      issue.state_reason = state_reason.empty() ? "completed" : state_reason;
      issue.closed_at = issue.created_at;
    }
    issue = ctx.home.db().insert_item(issue);
  } else {
    if (!ctx.args.contains("issue_number"))
      throw GitHubToolError("missing required parameter: issue_number");
    issue = find_issue(ctx, repo, "update issue");
    if (auto v = opt_str_arg(ctx.args, "title")) issue.title = *v;
    if (auto v = opt_str_arg(ctx.args, "body")) issue.body = *v;
    if (ctx.args.contains("labels")) issue.labels = list_arg(ctx.args, "labels");
    if (ctx.args.contains("assignees")) issue.assignees = list_arg(ctx.args, "assignees");
    if (auto state = opt_str_arg(ctx.args, "state"); state && *state != issue.state) {
      if (issue.is_pull)
        throw GitHubToolError("use update_pull_request to open or close pull request #" +
                              std::to_string(issue.number));
      issue.state = *state;
      issue.closed_at = *state == "closed" ? now_iso8601() : "";
      issue.state_reason =
          *state == "closed" ? (state_reason.empty() ? "completed" : state_reason) : "reopened";
    }
    issue.updated_at = now_iso8601();
    ctx.home.db().update_item(issue);
  }
  auto url = issue.is_pull ? pull_url(ctx.base, repo, issue.number)
                           : issue_url(ctx.base, repo, issue.number);
  return json_result({{"id", std::to_string(issue.id)},
                      {"url", url},
                      {"number", issue.number},
                      {"html_url", url},
                      {"state", issue.state}});
}

json tool_add_issue_comment(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  auto body = opt_str_arg(ctx.args, "body");
  if (ctx.args.contains("reaction") || ctx.args.contains("comment_id"))
    throw GitHubToolError("reactions are not supported by this forge; send a body instead");
  if (!body) throw GitHubToolError("at least one of body or reaction is required");
  auto issue = find_issue(ctx, repo, "create comment");
  auto c = ctx.home.db().insert_comment(repo.id, issue.number, ctx.token.login, *body);
  issue.updated_at = c.created_at;
  ctx.home.db().update_item(issue);
  auto j = comment_json(ctx.base, repo, c);
  return json_result(
      {{"id", std::to_string(c.id)}, {"url", j["html_url"]}, {"html_url", j["html_url"]}});
}

}  // namespace cove::forge
