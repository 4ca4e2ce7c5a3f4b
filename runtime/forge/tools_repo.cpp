// Repository tools: file contents, branches, commits, file writes and code search.
#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>

#include "runtime/forge/tool_calls.hpp"
#include "runtime/forge/tool_schemas.hpp"

namespace cove::forge {

namespace {

constexpr int kWriteAttempts = 5;  // compare-and-swap retries when a branch moves meanwhile

// The commit a read tool looks at: sha, else ref, else the default branch.
std::string pick_commit(const ToolContext& ctx, const GitRepo& git, const RepoRow& repo,
                        const std::string& sha, const std::string& ref, std::string* ref_name) {
  if (!sha.empty()) {
    auto c = git.resolve_commit(sha);
    if (!c)
      throw GitHubToolError("failed to resolve git reference: 404 No commit found for SHA: " + sha);
    if (ref_name) *ref_name = *c;
    return *c;
  }
  if (!ref.empty()) {
    auto c = resolve_ref(ctx.home.db(), git, repo, ref);
    if (!c)
      throw GitHubToolError("failed to resolve git reference: 404 ref '" + ref + "' not found");
    if (ref_name) {
      *ref_name = ref;
      for (const char* p : {"refs/heads/", "refs/tags/"})
        if (ref.rfind(p, 0) == 0) *ref_name = ref.substr(std::string(p).size());
    }
    return *c;
  }
  auto head = git.head_branch();
  auto c = git.branch_sha(head);
  if (!c) throw GitHubToolError("409 Git Repository is empty.");
  if (ref_name) *ref_name = head;
  return *c;
}

json ref_json(const std::string& base, const RepoRow& repo, const std::string& branch,
              const std::string& sha) {
  return {{"ref", "refs/heads/" + branch},
          {"url", repo_url(base, repo) + "/tree/" + branch},
          {"object", {{"sha", sha}, {"type", "commit"}, {"url", commit_url(base, repo, sha)}}}};
}

}  // namespace

json tool_get_file_contents(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  GitRepo git(ctx.home.git_dir(repo));
  std::string ref_name;
  auto commit =
      pick_commit(ctx, git, repo, str_arg(ctx.args, "sha"), str_arg(ctx.args, "ref"), &ref_name);
  auto path = str_arg(ctx.args, "path", "/");
  auto content = git.read(commit, path);
  auto base = repo_url(ctx.base, repo);
  if (std::holds_alternative<std::monostate>(content))
    throw GitHubToolError("failed to get file contents: 404 Not Found: '" + path +
                          "' does not exist at " + ref_name);
  if (auto* dir = std::get_if<std::vector<GitEntry>>(&content)) {
    json entries = json::array();
    for (const auto& e : *dir) {
      json j = {
          {"type", e.type},
          {"name", e.name},
          {"path", e.path},
          {"sha", e.sha},
          {"size", e.size},
          {"url", base + "/" + (e.type == "dir" ? "tree/" : "blob/") + ref_name + "/" + e.path},
          {"html_url",
           base + "/" + (e.type == "dir" ? "tree/" : "blob/") + ref_name + "/" + e.path},
          {"git_url", nullptr},
          {"download_url",
           e.type == "file" ? json(base + "/raw/" + ref_name + "/" + e.path) : json(nullptr)}};
      entries.push_back(std::move(j));
    }
    return json_result(pick_fields(entries, list_arg(ctx.args, "fields")));
  }
  const auto& file = std::get<GitFile>(content);
  std::string uri =
      "repo://" + repo.owner + "/" + repo.name +
      (str_arg(ctx.args, "sha").empty() ? "/refs/heads/" + ref_name : "/sha/" + commit) +
      "/contents/" + file.path;
  constexpr std::size_t kInline = 1u << 20;
  if (file.content.size() >= kInline) {
    std::string download = base + "/raw/" + ref_name + "/" + file.path;
    return {{"content",
             json::array({{{"type", "text"},
                           {"text", "File " + file.path + " is too large to display (" +
                                        std::to_string(file.content.size()) +
                                        " bytes). Use the download URL to fetch the content: " +
                                        download + " (SHA: " + file.sha + ")"}},
                          {{"type", "resource_link"},
                           {"uri", uri},
                           {"name", file.path.substr(file.path.rfind('/') + 1)},
                           {"title", "File: " + file.path},
                           {"size", file.content.size()}}})}};
  }
  bool text = looks_like_text(file.content);
  json resource = {{"uri", uri}};
  std::string kind;
  if (file.content.empty()) {
    resource["mimeType"] = "text/plain";
    resource["text"] = "";
    kind = "empty file";
  } else if (text) {
    resource["mimeType"] = "text/plain; charset=utf-8";
    resource["text"] = file.content;
    kind = "text file";
  } else {
    resource["mimeType"] = "application/octet-stream";
    resource["blob"] = base64_encode(file.content);
    kind = "binary file";
  }
  return {{"content",
           json::array({{{"type", "text"},
                         {"text", "successfully downloaded " + kind + " (SHA: " + file.sha + ")"}},
                        {{"type", "resource"}, {"resource", resource}}})}};
}

json tool_list_branches(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  GitRepo git(ctx.home.git_dir(repo));
  auto all = git.branches();
  auto page = ctx.page(), per_page = ctx.per_page();
  json out = json::array();
  auto begin = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(per_page);
  for (std::size_t i = begin; i < all.size() && i < begin + static_cast<std::size_t>(per_page);
       ++i) {
    const auto& [name, sha] = all[i];
    out.push_back({{"name", name},
                   {"sha", sha},
                   {"commit", {{"sha", sha}, {"url", commit_url(ctx.base, repo, sha)}}},
                   {"protected", false}});
  }
  return json_result(out);
}

json tool_create_branch(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  GitRepo git(ctx.home.git_dir(repo));
  auto branch = str_arg(ctx.args, "branch");
  auto from = str_arg(ctx.args, "from_branch");
  if (from.empty()) from = git.head_branch();
  auto sha = git.branch_sha(from);
  if (!sha) {
    if (git.branches().empty()) throw GitHubToolError("409 Git Repository is empty.");
    throw GitHubToolError("failed to get reference: 404 Not Found: branch '" + from +
                          "' does not exist");
  }
  if (git.branch_sha(branch))
    throw GitHubToolError("failed to create branch: 422 Reference already exists: refs/heads/" +
                          branch);
  try {
    if (!git.update_branch(branch, *sha, "", "create_branch"))
      throw GitHubToolError("failed to create branch: 422 Reference already exists: refs/heads/" +
                            branch);
  } catch (const std::invalid_argument& e) {
    throw GitHubToolError(std::string("failed to create branch: 422 ") + e.what());
  }
  return json_result(ref_json(ctx.base, repo, branch, *sha));
}

json tool_create_or_update_file(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  auto path = str_arg(ctx.args, "path");
  auto branch = str_arg(ctx.args, "branch");
  auto content = str_arg(ctx.args, "content");
  auto message = str_arg(ctx.args, "message");
  auto sha = str_arg(ctx.args, "sha");
  bool symlink_ok = opt_bool_arg(ctx.args, "allow_symlink_write").value_or(false);
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  GitRepo git(ctx.home.git_dir(repo));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto tip = git.branch_sha(branch);
    bool empty_repo = false;
    if (!tip) {
      empty_repo = git.branches().empty();
      if (!empty_repo)
        throw GitHubToolError("failed to create/update file: 404 Branch " + branch + " not found");
    }
    GitPathContent existing;
    if (tip) existing = git.read(*tip, path);
    if (std::holds_alternative<std::vector<GitEntry>>(existing))
      throw GitHubToolError("Path " + path +
                            " is a directory, not a file. This tool only works with "
                            "files.");
    if (auto* file = std::get_if<GitFile>(&existing)) {
      if (sha.empty())
        throw GitHubToolError("File already exists at " + path +
                              ". You must provide the current file's SHA when updating. Use git "
                              "rev-parse " +
                              branch + ":" + path +
                              " to get the blob SHA, then retry with the sha parameter.");
      if (sha != file->sha)
        throw GitHubToolError("SHA mismatch (409 Conflict): provided SHA " + sha +
                              " is stale. Current file SHA is " + file->sha +
                              ". Pull the latest changes and use git rev-parse " + branch + ":" +
                              path + " to get the current SHA.");
      if (file->symlink && !symlink_ok)
        throw GitHubToolError("Path " + path + " is a symbolic link to '" + file->content +
                              "'. Set allow_symlink_write to true to change the link itself.");
    }
    auto commit = git.commit_changes(tip.value_or(""), {{path, content}}, message, ctx.identity());
    if (!git.update_branch(branch, commit, tip.value_or(""), "create_or_update_file")) continue;
    if (empty_repo && !git.branch_sha(git.head_branch())) git.set_head_branch(branch);
    auto info = git.commit(commit);
    auto written = std::get<GitFile>(git.read(commit, path));
    json result = {
        {"content",
         {{"name", written.path.substr(written.path.rfind('/') + 1)},
          {"path", written.path},
          {"sha", written.sha},
          {"size", written.content.size()},
          {"type", "file"},
          {"html_url", repo_url(ctx.base, repo) + "/blob/" + branch + "/" + written.path}}},
        {"commit",
         {{"sha", commit},
          {"message", info.message},
          {"html_url", commit_url(ctx.base, repo, commit)},
          {"author", person_json(info.author)}}}};
    return json_result(result);
  }
  throw GitHubToolError("failed to create/update file: 409 branch " + branch +
                        " kept moving; try again");
}

json tool_push_files(const ToolContext& ctx) {
  auto repo = ctx.repo(true);
  auto branch = str_arg(ctx.args, "branch");
  auto message = str_arg(ctx.args, "message");
  std::vector<FileWrite> writes;
  for (const auto& f : ctx.args["files"])
    writes.push_back({f["path"].get<std::string>(), f["content"].get<std::string>()});
  if (writes.empty()) throw GitHubToolError("parameter files must contain at least one file");
  std::lock_guard lock(ctx.home.repo_lock(repo.id));
  GitRepo git(ctx.home.git_dir(repo));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto tip = git.branch_sha(branch);
    // A missing branch starts at the default branch's head (GitHub does the same).
    std::string parent = tip ? *tip : git.branch_sha(git.head_branch()).value_or("");
    bool empty_repo = parent.empty() && git.branches().empty();
    std::string commit;
    try {
      commit = git.commit_changes(parent, writes, message, ctx.identity());
    } catch (const std::invalid_argument& e) {
      throw GitHubToolError(std::string("failed to push files: 422 ") + e.what());
    }
    bool moved;
    try {
      moved = git.update_branch(branch, commit, tip.value_or(""), "push_files");
    } catch (const std::invalid_argument& e) {
      throw GitHubToolError(std::string("failed to push files: 422 ") + e.what());
    }
    if (!moved) continue;
    if (empty_repo && !git.branch_sha(git.head_branch())) git.set_head_branch(branch);
    auto j = ref_json(ctx.base, repo, branch, commit);
    j["commit"] = {
        {"sha", commit}, {"message", message}, {"html_url", commit_url(ctx.base, repo, commit)}};
    return json_result(j);
  }
  throw GitHubToolError("failed to push files: 409 branch " + branch + " kept moving; try again");
}

json tool_list_commits(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  GitRepo git(ctx.home.git_dir(repo));
  auto start = pick_commit(ctx, git, repo, "", str_arg(ctx.args, "sha"), nullptr);
  auto author = str_arg(ctx.args, "author");
  std::transform(author.begin(), author.end(), author.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto since = opt_str_arg(ctx.args, "since");
  auto until = opt_str_arg(ctx.args, "until");
  std::string since_ts = since ? normalize_date(*since, "since") : "";
  std::string until_ts = until ? normalize_date(*until, "until") : "";
  auto keep = [&](const GitCommitInfo& c) {
    if (!author.empty()) {
      std::string who = c.author.name + " " + c.author.email;
      std::transform(who.begin(), who.end(), who.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (who.find(author) == std::string::npos) return false;
    }
    if (!since_ts.empty() && c.committer.date < since_ts) return false;
    if (!until_ts.empty() && c.committer.date > until_ts) return false;
    return true;
  };
  int page = ctx.page(), per_page = ctx.per_page();
  auto commits = git.log(start, "", str_arg(ctx.args, "path"),
                         static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(per_page),
                         static_cast<std::size_t>(per_page), keep);
  json out = json::array();
  for (const auto& c : commits)
    out.push_back(commit_json(ctx.base, repo, c));
  return json_result(pick_fields(out, list_arg(ctx.args, "fields")));
}

json tool_get_commit(const ToolContext& ctx) {
  auto repo = ctx.repo(false);
  GitRepo git(ctx.home.git_dir(repo));
  auto sha = str_arg(ctx.args, "sha");
  auto resolved = resolve_ref(ctx.home.db(), git, repo, sha);
  if (!resolved) throw GitHubToolError("failed to get commit: 404 No commit found for SHA: " + sha);
  auto info = git.commit(*resolved);
  auto j = commit_json(ctx.base, repo, info);
  auto detail = str_arg(ctx.args, "detail", "stats");
  if (detail == "none") return json_result(j);
  auto changes =
      git.diff(info.parents.empty() ? "" : info.parents.front(), info.sha, detail == "full_patch");
  int additions = 0, deletions = 0;
  for (const auto& f : changes) {
    additions += f.additions;
    deletions += f.deletions;
  }
  j["stats"] = {
      {"additions", additions}, {"deletions", deletions}, {"total", additions + deletions}};
  json files = json::array();
  auto begin = static_cast<std::size_t>(ctx.page() - 1) * static_cast<std::size_t>(ctx.per_page());
  for (std::size_t i = begin;
       i < changes.size() && i < begin + static_cast<std::size_t>(ctx.per_page()); ++i)
    files.push_back(file_change_json(changes[i], detail == "full_patch"));
  j["files"] = files;
  return json_result(j);
}

// ---- search_code ----

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct SearchTerm {
  std::string text;  // lower-cased substring
  std::optional<std::regex> regex;
  bool negated = false;
};

// The parsed query: every group must match (AND); a group matches when any term does (OR).
struct SearchQuery {
  std::vector<std::vector<SearchTerm>> groups;
  std::string repo, owner, path_prefix, filename, extension;
  std::vector<std::string> languages;
  bool in_path = false, in_file = true;
};

std::vector<std::string> language_extensions(const std::string& language) {
  static const std::map<std::string, std::vector<std::string>> map = {
      {"c", {"c", "h"}},
      {"c++", {"cpp", "cc", "cxx", "hpp", "hh", "hxx", "h"}},
      {"cpp", {"cpp", "cc", "cxx", "hpp", "hh", "hxx", "h"}},
      {"go", {"go"}},
      {"python", {"py"}},
      {"javascript", {"js", "mjs", "cjs", "jsx"}},
      {"typescript", {"ts", "tsx", "mts"}},
      {"rust", {"rs"}},
      {"java", {"java"}},
      {"ruby", {"rb"}},
      {"shell", {"sh", "bash"}},
      {"markdown", {"md", "markdown"}},
      {"json", {"json"}},
      {"yaml", {"yml", "yaml"}},
      {"cmake", {"cmake", "txt"}},
      {"html", {"html", "htm"}},
      {"css", {"css"}}};
  auto it = map.find(lower(language));
  if (it != map.end()) return it->second;
  return {lower(language)};
}

// The query's words: a /regular expression/ (spaces included) or a run of non-spaces in
// which "quoted parts" may hold spaces.
std::vector<std::string> query_tokens(const std::string& query) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < query.size();) {
    if (std::isspace(static_cast<unsigned char>(query[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    std::string token;
    if (query[i] == '/') {
      auto close = query.find('/', i + 1);
      while (close != std::string::npos && close + 1 < query.size() &&
             !std::isspace(static_cast<unsigned char>(query[close + 1])))
        close = query.find('/', close + 1);
      if (close != std::string::npos) {
        tokens.push_back(query.substr(i, close - i + 1));
        i = close + 1;
        continue;
      }
    }
    while (j < query.size() && !std::isspace(static_cast<unsigned char>(query[j]))) {
      if (query[j] == '"') {
        auto close = query.find('"', j + 1);
        if (close == std::string::npos) {
          token += query.substr(j);
          j = query.size();
        } else {
          token += query.substr(j, close - j + 1);
          j = close + 1;
        }
      } else {
        token += query[j++];
      }
    }
    tokens.push_back(token);
    i = j;
  }
  return tokens;
}

// Applies a qualifier token (repo:, path:, language:, …) to q; false when the token is search
// text ("std::string" and the like, or a qualifier without a value).
bool apply_qualifier(SearchQuery& q, const std::string& t) {
  auto colon = t.find(':');
  if (colon == std::string::npos || t.front() == '"' || t.front() == '/') return false;
  auto key = lower(t.substr(0, colon));
  auto value = t.substr(colon + 1);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  if (value.empty()) return false;
  if (key == "repo") {
    q.repo = value;
  } else if (key == "org" || key == "user") {
    q.owner = value;
  } else if (key == "path") {
    q.path_prefix = value.front() == '/' ? value.substr(1) : value;
  } else if (key == "filename") {
    q.filename = value;
  } else if (key == "extension") {
    q.extension = lower(value.front() == '.' ? value.substr(1) : value);
  } else if (key == "language") {
    q.languages = language_extensions(value);
  } else if (key == "in") {
    q.in_path = lower(value) == "path";
    q.in_file = lower(value) == "file";
  } else if (key == "size" || key == "is") {
    // Not meaningful here: every file is searched.
  } else {
    return false;
  }
  return true;
}

// A search term: "exact text", /regex/ (case-insensitive) or a word.
SearchTerm search_term(const std::string& t, bool negated) {
  SearchTerm term;
  term.negated = negated;
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') {
    term.text = lower(t.substr(1, t.size() - 2));
  } else if (t.size() >= 3 && t.front() == '/' && t.back() == '/') {
    try {
      term.regex.emplace(t.substr(1, t.size() - 2), std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      throw GitHubToolError("invalid regular expression " + t + ": " + e.what());
    }
  } else {
    term.text = lower(t);
  }
  return term;
}

SearchQuery parse_query(const std::string& query) {
  SearchQuery q;
  bool negate_next = false, or_next = false;
  for (const auto& t : query_tokens(query)) {
    if (t == "NOT") {
      negate_next = true;
      continue;
    }
    if (t == "OR") {
      or_next = true;
      continue;
    }
    if (!apply_qualifier(q, t)) {
      auto term = search_term(t, negate_next);
      if (or_next && !q.groups.empty())
        q.groups.back().push_back(std::move(term));
      else
        q.groups.push_back({std::move(term)});
    }
    negate_next = or_next = false;
  }
  return q;
}

// Where a term first matches in `haystack` (lower-cased copy in `folded`): offset and length.
std::optional<std::pair<std::size_t, std::size_t>> find_term(const SearchTerm& term,
                                                             std::string_view haystack,
                                                             const std::string& folded) {
  if (term.regex) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(haystack.begin(), haystack.end(), m, *term.regex))
      return std::pair{static_cast<std::size_t>(m.position(0)),
                       static_cast<std::size_t>(m.length(0))};
    return std::nullopt;
  }
  auto pos = folded.find(term.text);
  if (pos == std::string::npos) return std::nullopt;
  return std::pair{pos, term.text.size()};
}

}  // namespace

json tool_search_code(const ToolContext& ctx) {
  auto text = str_arg(ctx.args, "query");
  if (text.size() > 256) throw GitHubToolError("query is longer than 256 characters");
  auto q = parse_query(text);
  if (q.groups.empty() && q.filename.empty() && q.path_prefix.empty() && q.extension.empty())
    throw GitHubToolError("failed to search code: 422 the query has no search terms");
  json items = json::array();
  for (const auto& repo : ctx.home.db().repos()) {
    RepoAccess access{repo.full_name(), repo.is_public};
    if (!can_read(&ctx.token, access)) continue;
    if (!q.repo.empty() && !iequals(q.repo, repo.full_name())) continue;
    if (!q.owner.empty() && !iequals(q.owner, repo.owner)) continue;
    GitRepo git(ctx.home.git_dir(repo));
    auto head = git.branch_sha(git.head_branch());
    if (!head) continue;
    git.for_each_text_file(
        *head, 1u << 20,
        [&](const std::string& path, const std::string& sha, std::string_view content) {
          auto name = path.substr(path.rfind('/') + 1);
          auto dot = name.rfind('.');
          auto ext = dot == std::string::npos ? "" : lower(name.substr(dot + 1));
          if (!q.path_prefix.empty() && path.rfind(q.path_prefix, 0) != 0) return;
          if (!q.filename.empty() && name != q.filename) return;
          if (!q.extension.empty() && ext != q.extension) return;
          if (!q.languages.empty() &&
              std::find(q.languages.begin(), q.languages.end(), ext) == q.languages.end())
            return;
          std::string_view haystack = q.in_path ? std::string_view(path) : content;
          std::string folded = lower(std::string(haystack));
          std::vector<std::pair<std::size_t, std::size_t>> hits;
          for (const auto& group : q.groups) {
            bool any = false;
            for (const auto& term : group) {
              auto hit = find_term(term, haystack, folded);
              if (term.negated ? !hit : hit.has_value()) {
                any = true;
                if (hit && !term.negated) hits.push_back(*hit);
                break;
              }
            }
            if (!any) return;
          }
          json matches = json::array();
          std::string fragment;
          if (!hits.empty() && !q.in_path) {
            // The line of the first hit, with every hit on it.
            auto [first, len] = hits.front();
            auto line_start = folded.rfind('\n', first);
            line_start = line_start == std::string::npos ? 0 : line_start + 1;
            auto line_end = folded.find('\n', first);
            if (line_end == std::string::npos) line_end = folded.size();
            fragment = std::string(haystack.substr(line_start, line_end - line_start));
            for (auto [pos, n] : hits)
              if (pos >= line_start && pos + n <= line_end)
                matches.push_back({{"text", std::string(haystack.substr(pos, n))},
                                   {"indices", {pos - line_start, pos - line_start + n}}});
          }
          json item = {
              {"name", name},
              {"path", path},
              {"sha", sha},
              {"repository", repo.full_name()},
              {"html_url", repo_url(ctx.base, repo) + "/blob/" + git.head_branch() + "/" + path}};
          if (!fragment.empty())
            item["text_matches"] = json::array({{{"object_type", "FileContent"},
                                                 {"property", "content"},
                                                 {"fragment", fragment},
                                                 {"matches", matches}}});
          items.push_back(std::move(item));
        });
  }
  std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return std::tie(a["repository"], a["path"]) < std::tie(b["repository"], b["path"]);
  });
  if (str_arg(ctx.args, "order") == "desc") std::reverse(items.begin(), items.end());
  int page = ctx.page(), per_page = ctx.per_page();
  json page_items = json::array();
  auto begin = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(per_page);
  for (std::size_t i = begin; i < items.size() && i < begin + static_cast<std::size_t>(per_page);
       ++i)
    page_items.push_back(items[i]);
  return json_result({{"total_count", items.size()},
                      {"incomplete_results", false},
                      {"items", pick_fields(page_items, list_arg(ctx.args, "fields"))}});
}

}  // namespace cove::forge
