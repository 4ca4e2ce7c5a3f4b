// The forge's GitHub MCP tools: dispatch, argument checks and the JSON shapes shared by the
// tools (see github_tools.hpp and tool_calls.hpp).
#include "runtime/forge/github_tools.hpp"

#include <map>

#include "runtime/forge/paths.hpp"
#include "runtime/forge/tool_calls.hpp"
#include "runtime/forge/tool_schemas.hpp"

namespace cove::forge {

namespace {

using ToolFn = json (*)(const ToolContext&);

const std::map<std::string, ToolFn>& tool_functions() {
  static const std::map<std::string, ToolFn> fns = {
      {"get_file_contents", tool_get_file_contents},
      {"list_branches", tool_list_branches},
      {"create_branch", tool_create_branch},
      {"create_or_update_file", tool_create_or_update_file},
      {"push_files", tool_push_files},
      {"list_commits", tool_list_commits},
      {"get_commit", tool_get_commit},
      {"search_code", tool_search_code},
      {"create_pull_request", tool_create_pull_request},
      {"list_pull_requests", tool_list_pull_requests},
      {"pull_request_read", tool_pull_request_read},
      {"update_pull_request", tool_update_pull_request},
      {"merge_pull_request", tool_merge_pull_request},
      {"list_issues", tool_list_issues},
      {"issue_read", tool_issue_read},
      {"issue_write", tool_issue_write},
      {"add_issue_comment", tool_add_issue_comment},
  };
  return fns;
}

json error_result(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

}  // namespace

GitHubTools::GitHubTools(ForgeHome& home, std::string public_url) : home_(home) {
  set_public_url(std::move(public_url));
}

void GitHubTools::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  std::lock_guard lock(mu_);
  public_url_ = std::move(url);
}

std::string GitHubTools::public_url() const {
  std::lock_guard lock(mu_);
  return public_url_;
}

const json& GitHubTools::tools() const {
  return tool_definitions();
}

std::optional<json> GitHubTools::call(const std::string& name, const json& arguments,
                                      const mcp::Caller& caller) {
  const auto& token = std::any_cast<const TokenRecord&>(caller.principal);
  auto fn = tool_functions().find(name);
  const json* def = tool_definition(name);
  if (fn == tool_functions().end() || !def) return std::nullopt;
  if (auto problem = validate_arguments((*def)["inputSchema"], arguments))
    return error_result(*problem);
  const std::string base = public_url();
  ToolContext ctx{home_, base, token, arguments};
  try {
    return fn->second(ctx);
  } catch (const GitHubToolError& e) {
    return error_result(e.what());
  } catch (const std::invalid_argument& e) {
    return error_result(e.what());
  } catch (const std::exception& e) {
    return error_result(name + " failed: " + e.what());
  }
}

std::optional<json> GitHubTools::pull_request(const std::string& full_name, int number,
                                              bool details) {
  auto name = parse_repo_name(full_name);
  auto repo = home_.find_repo(name.owner, name.name);
  if (!repo) return std::nullopt;
  auto pr = home_.db().item(repo->id, number);
  if (!pr || !pr->is_pull) return std::nullopt;
  GitRepo git(home_.git_dir(*repo));
  return pull_json(public_url(), home_.db(), git, *repo, *pr, details);
}

std::string GitHubTools::pull_request_diff(const std::string& full_name, int number) {
  auto name = parse_repo_name(full_name);
  auto repo = home_.find_repo(name.owner, name.name);
  if (!repo) throw std::invalid_argument("no repository " + name.full());
  auto pr = home_.db().item(repo->id, number);
  if (!pr || !pr->is_pull)
    throw std::invalid_argument("no pull request #" + std::to_string(number) + " in " +
                                name.full());
  GitRepo git(home_.git_dir(*repo));
  auto st = pull_state(git, *pr);
  if (st.head_sha.empty()) return {};
  return git.diff_text(st.merge_base, st.head_sha);
}

// ---- shared pieces (tool_calls.hpp) ----

RepoRow ToolContext::repo(bool write) const {
  auto owner = str_arg(args, "owner");
  auto name = str_arg(args, "repo");
  auto row = home.find_repo(owner, name);
  RepoAccess access{row ? row->full_name() : owner + "/" + name, row && row->is_public};
  if (!row || !can_read(&token, access))
    throw GitHubToolError("404 Not Found: repository " + owner + "/" + name +
                          " does not exist or this token cannot read it");
  if (write && !can_write(&token, access))
    throw GitHubToolError(
        "403 Resource not accessible by personal access token: " +
        std::string(token.read_only
                        ? "the token is read-only"
                        : "the token is limited to " + token.repo.value_or("another repository")));
  return *row;
}

int ToolContext::page() const {
  return int_arg(args, "page", 1);
}

int ToolContext::per_page(int fallback) const {
  return int_arg(args, "perPage", fallback);
}

std::string repo_url(const std::string& base, const RepoRow& repo) {
  return base + "/" + repo.owner + "/" + repo.name;
}

std::string commit_url(const std::string& base, const RepoRow& repo, const std::string& sha) {
  return repo_url(base, repo) + "/commit/" + sha;
}

std::string pull_url(const std::string& base, const RepoRow& repo, int number) {
  return repo_url(base, repo) + "/pull/" + std::to_string(number);
}

std::string issue_url(const std::string& base, const RepoRow& repo, int number) {
  return repo_url(base, repo) + "/issues/" + std::to_string(number);
}

json user_json(const std::string& base, const std::string& login) {
  if (login.empty()) return nullptr;
  return {{"login", login}, {"profile_url", base + "/" + login}, {"type", "User"}};
}

json person_json(const GitPerson& p) {
  return {{"name", p.name}, {"email", p.email}, {"date", p.date}};
}

namespace {

// The forge user behind a commit identity, when it is one of the forge's noreply addresses.
json login_of(const std::string& base, const GitPerson& p) {
  const std::string suffix = "@users.noreply.cove.local";
  if (p.email.size() > suffix.size() &&
      p.email.compare(p.email.size() - suffix.size(), suffix.size(), suffix) == 0)
    return user_json(base, p.email.substr(0, p.email.size() - suffix.size()));
  return nullptr;
}

}  // namespace

json commit_json(const std::string& base, const RepoRow& repo, const GitCommitInfo& c) {
  json parents = json::array();
  for (const auto& p : c.parents)
    parents.push_back({{"sha", p}, {"html_url", commit_url(base, repo, p)}});
  return {{"sha", c.sha},
          {"html_url", commit_url(base, repo, c.sha)},
          {"commit",
           {{"message", c.message},
            {"author", person_json(c.author)},
            {"committer", person_json(c.committer)},
            {"tree", {{"sha", c.tree}}}}},
          {"author", login_of(base, c.author)},
          {"committer", login_of(base, c.committer)},
          {"parents", parents}};
}

json file_change_json(const FileChange& f, bool with_patch) {
  json j = {{"filename", f.filename},
            {"status", f.status},
            {"additions", f.additions},
            {"deletions", f.deletions},
            {"changes", f.additions + f.deletions}};
  if (!f.sha.empty()) j["sha"] = f.sha;
  if (!f.previous_filename.empty()) j["previous_filename"] = f.previous_filename;
  if (with_patch && !f.patch.empty()) j["patch"] = f.patch;
  return j;
}

json text_result(const std::string& text) {
  return {{"content", json::array({{{"type", "text"}, {"text", text}}})}};
}

json json_result(const json& value) {
  return text_result(value.dump());
}

json pick_fields(const json& items, const std::vector<std::string>& fields) {
  if (fields.empty()) return items;
  json out = json::array();
  for (const auto& item : items) {
    json picked = json::object();
    for (const auto& f : fields)
      if (item.contains(f)) picked[f] = item[f];
    out.push_back(std::move(picked));
  }
  return out;
}

std::string normalize_date(const std::string& value, const std::string& what) {
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (i >= value.size() || value[i] < '0' || value[i] > '9') return false;
    return true;
  };
  bool date = value.size() >= 10 && digits(0, 4) && value[4] == '-' && digits(5, 2) &&
              value[7] == '-' && digits(8, 2);
  if (date && value.size() == 10) return value + "T00:00:00Z";
  if (date && value.size() == 20 && value[10] == 'T' && digits(11, 2) && value[13] == ':' &&
      digits(14, 2) && value[16] == ':' && digits(17, 2) && value[19] == 'Z')
    return value;
  throw GitHubToolError("invalid " + what + " timestamp: '" + value +
                        "' (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
}

PullState pull_state(const GitRepo& git, const Item& pr) {
  PullState st{pr.head_sha, pr.base_sha, {}};
  if (pr.state == "open") {
    if (auto h = git.branch_sha(pr.head_ref)) st.head_sha = *h;
    if (auto b = git.branch_sha(pr.base_ref)) st.base_sha = *b;
  }
  if (!st.head_sha.empty() && !st.base_sha.empty())
    st.merge_base = git.merge_base(st.base_sha, st.head_sha);
  return st;
}

json pull_json(const std::string& base, ForgeDb& db, const GitRepo& git, const RepoRow& repo,
               const Item& pr, bool details) {
  auto st = pull_state(git, pr);
  auto url = pull_url(base, repo, pr.number);
  auto branch = [&](const std::string& ref, const std::string& sha) {
    return json{{"ref", ref},
                {"sha", sha},
                {"label", repo.owner + ":" + ref},
                {"repo",
                 {{"full_name", repo.full_name()},
                  {"html_url", repo_url(base, repo)},
                  {"private", !repo.is_public}}}};
  };
  json reviewers = json::array();
  for (const auto& r : pr.reviewers)
    reviewers.push_back(r);
  json j = {{"id", pr.id},
            {"number", pr.number},
            {"title", pr.title},
            {"body", pr.body},
            {"state", pr.state},
            {"draft", pr.draft},
            {"merged", pr.merged},
            {"html_url", url},
            {"url", url},
            {"diff_url", url + ".diff"},
            {"user", user_json(base, pr.user)},
            {"labels", pr.labels},
            {"assignees", pr.assignees},
            {"requested_reviewers", reviewers},
            {"maintainer_can_modify", pr.maintainer_can_modify},
            {"head", branch(pr.head_ref, st.head_sha)},
            {"base", branch(pr.base_ref, st.base_sha)},
            {"comments", db.comment_count(repo.id, pr.number)},
            {"created_at", pr.created_at},
            {"updated_at", pr.updated_at},
            {"closed_at", pr.closed_at.empty() ? json(nullptr) : json(pr.closed_at)},
            {"merged_at", pr.merged_at.empty() ? json(nullptr) : json(pr.merged_at)},
            {"merge_commit_sha",
             pr.merge_commit_sha.empty() ? json(nullptr) : json(pr.merge_commit_sha)}};
  if (pr.merged) j["merged_by"] = pr.merged_by;
  if (!details) return j;
  if (pr.state == "open" && !st.head_sha.empty() && !st.base_sha.empty()) {
    bool clean = git.merge_trees(st.base_sha, st.head_sha).has_value();
    j["mergeable"] = clean;
    j["mergeable_state"] = pr.draft ? "draft" : clean ? "clean" : "dirty";
  } else {
    j["mergeable"] = nullptr;
    j["mergeable_state"] = "unknown";
  }
  int additions = 0, deletions = 0, files = 0, commits = 0;
  if (!st.head_sha.empty()) {
    for (const auto& f : git.diff(st.merge_base, st.head_sha, false)) {
      additions += f.additions;
      deletions += f.deletions;
      ++files;
    }
    commits = static_cast<int>(git.log(st.head_sha, st.base_sha, "", 0, 10000).size());
  }
  j["additions"] = additions;
  j["deletions"] = deletions;
  j["changed_files"] = files;
  j["commits"] = commits;
  return j;
}

json issue_json(const std::string& base, ForgeDb& db, const RepoRow& repo, const Item& i) {
  auto url = i.is_pull ? pull_url(base, repo, i.number) : issue_url(base, repo, i.number);
  json j = {{"id", i.id},
            {"number", i.number},
            {"title", i.title},
            {"body", i.body},
            {"state", i.state},
            {"html_url", url},
            {"url", url},
            {"user", user_json(base, i.user)},
            {"labels", i.labels},
            {"assignees", i.assignees},
            {"comments", db.comment_count(repo.id, i.number)},
            {"created_at", i.created_at},
            {"updated_at", i.updated_at},
            {"closed_at", i.closed_at.empty() ? json(nullptr) : json(i.closed_at)}};
  if (!i.state_reason.empty()) j["state_reason"] = i.state_reason;
  if (i.is_pull)
    j["pull_request"] = {{"html_url", url},
                         {"diff_url", url + ".diff"},
                         {"merged_at", i.merged_at.empty() ? json(nullptr) : json(i.merged_at)}};
  return j;
}

json comment_json(const std::string& base, const RepoRow& repo, const Comment& c) {
  return {{"id", c.id},
          {"body", c.body},
          {"html_url", issue_url(base, repo, c.number) + "#issuecomment-" + std::to_string(c.id)},
          {"user", user_json(base, c.user)},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

std::optional<std::string> resolve_ref(ForgeDb& db, const GitRepo& git, const RepoRow& repo,
                                       const std::string& ref) {
  const std::string prefix = "refs/pull/";
  if (ref.rfind(prefix, 0) == 0 && ref.size() > prefix.size() + 5 &&
      ref.substr(ref.size() - 5) == "/head") {
    auto number = ref.substr(prefix.size(), ref.size() - prefix.size() - 5);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos ||
        number.size() > 9)
      return std::nullopt;
    auto pr = db.item(repo.id, std::stoi(number));
    if (!pr || !pr->is_pull) return std::nullopt;
    auto sha = pull_state(git, *pr).head_sha;
    if (sha.empty()) return std::nullopt;
    return sha;
  }
  return git.resolve_commit(ref);
}

}  // namespace cove::forge
