// The forge's read-only web pages (see web.hpp).
#include "runtime/forge/web.hpp"

#include <charconv>

#include "runtime/forge/git_repo.hpp"
#include "runtime/forge/tool_calls.hpp"

namespace cove::forge {

namespace {

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}"
    "pre{background:#f6f8fa;padding:.5rem;overflow-x:auto}"
    ".add{background:#e6ffec;display:block}.del{background:#ffebe9;display:block}"
    ".hunk{color:#0550ae;display:block}.meta{font-weight:bold;display:block}"
    "table{border-collapse:collapse}td{padding:.1rem .6rem}.muted{color:#57606a}";

std::string e(std::string_view s) {
  return html_escape(s);
}

net::ServerResponse page(int status, const std::string& title, const std::string& body) {
  net::ServerResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/html; charset=utf-8");
  r.headers.emplace_back("content-security-policy",
                         "default-src 'none'; style-src 'unsafe-inline'");
  r.headers.emplace_back("x-content-type-options", "nosniff");
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + e(title) +
           "</title><style>" + kStyle + "</style></head><body>" + body + "</body></html>\n";
  return r;
}

net::ServerResponse not_found(const std::string& what) {
  return page(404, "Not found", "<h1>Not found</h1><p>" + e(what) + "</p>");
}

std::string header(const std::string& base, const RepoRow& repo) {
  auto url = repo_url(base, repo);
  return "<p><a href=\"" + e(base) + "/\">cove forge</a> / <a href=\"" + e(url) + "\">" +
         e(repo.full_name()) + "</a> " +
         (repo.is_public ? "" : "<span class=muted>(private)</span>") + " · <a href=\"" + e(url) +
         "/pulls\">Pull requests</a> · <a href=\"" + e(url) + "/issues\">Issues</a></p>";
}

std::optional<int> number_of(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n <= 0) return std::nullopt;
  return n;
}

// "REF/PATH" where REF may itself contain slashes: the longest prefix that resolves wins.
std::optional<std::pair<std::string, std::string>> split_ref(ForgeDb& db, const GitRepo& git,
                                                             const RepoRow& repo,
                                                             const std::string& spec,
                                                             std::string* sha) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < spec.size(); ++i)
    if (spec[i] == '/') cuts.push_back(i);
  cuts.push_back(spec.size());
  for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
    auto ref = spec.substr(0, *it);
    if (ref.empty()) continue;
    if (auto c = resolve_ref(db, git, repo, ref)) {
      *sha = *c;
      return std::pair{ref, *it < spec.size() ? spec.substr(*it + 1) : ""};
    }
  }
  return std::nullopt;
}

std::string listing(const std::string& base, const RepoRow& repo, const std::string& ref,
                    const std::vector<GitEntry>& entries) {
  std::string html = "<table>";
  auto url = repo_url(base, repo);
  for (const auto& en : entries) {
    auto kind = en.type == "dir" ? "tree" : "blob";
    html += "<tr><td>" + e(en.type) + "</td><td><a href=\"" + e(url) + "/" + kind + "/" + e(ref) +
            "/" + e(en.path) + "\">" + e(en.name) + "</a></td><td class=muted>" +
            (en.type == "dir" ? "" : std::to_string(en.size) + " B") + "</td></tr>";
  }
  return html + "</table>";
}

net::ServerResponse repo_home(ForgeHome& home, const std::string& base, const RepoRow& repo) {
  GitRepo git(home.git_dir(repo));
  auto branch = git.head_branch();
  std::string body = header(base, repo) + "<h1>" + e(repo.full_name()) + "</h1>";
  body += "<p>Clone: <code>" + e(repo_url(base, repo)) + ".git</code></p>";
  auto head = git.branch_sha(branch);
  if (!head) return page(200, repo.full_name(), body + "<p>This repository is empty.</p>");
  body += "<h2>Branches</h2><ul>";
  for (const auto& [name, sha] : git.branches())
    body += "<li><a href=\"" + e(repo_url(base, repo)) + "/tree/" + e(name) + "\">" + e(name) +
            "</a> <a class=muted href=\"" + e(commit_url(base, repo, sha)) + "\">" +
            e(sha.substr(0, 7)) + "</a></li>";
  body += "</ul><h2>Files on " + e(branch) + "</h2>";
  auto root = git.read(*head, "");
  body += listing(base, repo, branch, std::get<std::vector<GitEntry>>(root));
  for (const char* readme : {"README.md", "README", "README.txt"}) {
    auto content = git.read(*head, readme);
    if (auto* f = std::get_if<GitFile>(&content); f && looks_like_text(f->content)) {
      body += "<h2>" + e(readme) + "</h2><pre>" + e(f->content) + "</pre>";
      break;
    }
  }
  return page(200, repo.full_name(), body);
}

net::ServerResponse tree_or_blob(ForgeHome& home, const std::string& base, const RepoRow& repo,
                                 const std::string& kind, const std::string& spec) {
  GitRepo git(home.git_dir(repo));
  std::string sha;
  auto split = split_ref(home.db(), git, repo, spec, &sha);
  if (!split) return not_found("no such branch, tag or commit: " + spec);
  auto [ref, path] = *split;
  auto content = git.read(sha, path);
  if (kind == "raw") {
    auto* f = std::get_if<GitFile>(&content);
    if (!f) return not_found("no file " + path + " at " + ref);
    net::ServerResponse r;
    r.headers.emplace_back("content-type", looks_like_text(f->content)
                                               ? "text/plain; charset=utf-8"
                                               : "application/octet-stream");
    r.headers.emplace_back("x-content-type-options", "nosniff");
    r.body = f->content;
    return r;
  }
  std::string body = header(base, repo) + "<h1>" + e(path.empty() ? "/" : path) +
                     " <span class=muted>at " + e(ref) + "</span></h1>";
  if (auto* dir = std::get_if<std::vector<GitEntry>>(&content))
    return page(200, path, body + listing(base, repo, ref, *dir));
  if (auto* f = std::get_if<GitFile>(&content)) {
    body += "<p class=muted>blob " + e(f->sha) + " · <a href=\"" + e(repo_url(base, repo)) +
            "/raw/" + e(ref) + "/" + e(path) + "\">raw</a></p>";
    body += looks_like_text(f->content)
                ? "<pre>" + e(f->content) + "</pre>"
                : "<p>Binary file, " + std::to_string(f->content.size()) + " bytes.</p>";
    return page(200, path, body);
  }
  return not_found("no " + path + " at " + ref);
}

net::ServerResponse commit_page(ForgeHome& home, const std::string& base, const RepoRow& repo,
                                const std::string& sha_spec) {
  GitRepo git(home.git_dir(repo));
  auto sha = git.resolve_commit(sha_spec);
  if (!sha) return not_found("no commit " + sha_spec);
  auto c = git.commit(*sha);
  std::string body = header(base, repo) + "<h1>Commit " + e(c.sha.substr(0, 7)) + "</h1>";
  body += "<pre>" + e(c.message) + "</pre><p class=muted>" + e(c.author.name) + " &lt;" +
          e(c.author.email) + "&gt; · " + e(c.author.date) + "</p>";
  body += "<pre>" + diff_to_html(git.diff_text(c.parents.empty() ? "" : c.parents.front(), c.sha)) +
          "</pre>";
  return page(200, "Commit " + c.sha, body);
}

net::ServerResponse pulls_page(ForgeHome& home, const std::string& base, const RepoRow& repo,
                               bool pulls) {
  ItemFilter f;
  f.is_pull = pulls;
  std::string body = header(base, repo) + "<h1>" + (pulls ? "Pull requests" : "Issues") + "</h1>";
  auto items = home.db().items(repo.id, f, 1, 1000);
  if (items.empty()) body += "<p>None yet.</p>";
  body += "<table>";
  for (const auto& i : items) {
    auto url = pulls ? pull_url(base, repo, i.number) : issue_url(base, repo, i.number);
    std::string state = i.merged ? "merged" : i.state;
    body += "<tr><td>#" + std::to_string(i.number) + "</td><td><a href=\"" + e(url) + "\">" +
            e(i.title) + "</a></td><td>" + e(state) + "</td><td class=muted>" +
            (pulls ? e(i.head_ref) + " → " + e(i.base_ref) : e(i.user)) + "</td></tr>";
  }
  return page(200, repo.full_name() + (pulls ? " pull requests" : " issues"), body + "</table>");
}

std::string comments_html(ForgeHome& home, const RepoRow& repo, int number) {
  std::string html;
  for (const auto& c : home.db().comments(repo.id, number, 1, 1000))
    html += "<h3>" + e(c.user) + " <span class=muted>" + e(c.created_at) + "</span></h3><pre>" +
            e(c.body) + "</pre>";
  return html;
}

net::ServerResponse item_page(ForgeHome& home, const std::string& base, const RepoRow& repo,
                              std::string number_text, bool pull) {
  bool want_diff =
      pull && number_text.size() > 5 && number_text.substr(number_text.size() - 5) == ".diff";
  if (want_diff) number_text.resize(number_text.size() - 5);
  auto number = number_of(number_text);
  if (!number) return not_found("no such number: " + number_text);
  auto item = home.db().item(repo.id, *number);
  if (!item || item->is_pull != pull)
    return not_found(std::string(pull ? "no pull request #" : "no issue #") + number_text);
  if (!pull) {
    std::string body = header(base, repo) + "<h1>" + e(item->title) + " #" +
                       std::to_string(item->number) + "</h1><p>" + e(item->state) +
                       " · opened by " + e(item->user) + "</p><pre>" + e(item->body) + "</pre>";
    return page(200, item->title, body + comments_html(home, repo, item->number));
  }
  GitRepo git(home.git_dir(repo));
  auto st = pull_state(git, *item);
  auto diff = st.head_sha.empty() ? std::string() : git.diff_text(st.merge_base, st.head_sha);
  if (want_diff) {
    net::ServerResponse r;
    r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
    r.body = diff;
    return r;
  }
  std::string state = item->merged ? "merged" : item->state;
  std::string body =
      header(base, repo) + "<h1>" + e(item->title) + " #" + std::to_string(item->number) + "</h1>";
  body += "<p><b>" + e(state) + "</b> · " + e(item->user) + " wants to merge <code>" +
          e(item->head_ref) + "</code> into <code>" + e(item->base_ref) + "</code>";
  if (item->merged)
    body += " · merged as <a href=\"" + e(commit_url(base, repo, item->merge_commit_sha)) + "\">" +
            e(item->merge_commit_sha.substr(0, 7)) + "</a>";
  body += " · <a href=\"" + e(pull_url(base, repo, item->number)) + ".diff\">.diff</a></p>";
  body += "<pre>" + e(item->body) + "</pre>";
  body += comments_html(home, repo, item->number);
  body += "<h2>Changes</h2><pre>" + diff_to_html(diff) + "</pre>";
  return page(200, item->title, body);
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string diff_to_html(std::string_view diff) {
  std::string out;
  std::size_t pos = 0;
  while (pos < diff.size()) {
    auto eol = diff.find('\n', pos);
    auto line =
        diff.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? diff.size() : eol + 1;
    const char* cls = nullptr;
    if (line.rfind("diff --git", 0) == 0 || line.rfind("+++ ", 0) == 0 ||
        line.rfind("--- ", 0) == 0)
      cls = "meta";
    else if (line.rfind("@@", 0) == 0)
      cls = "hunk";
    else if (!line.empty() && line.front() == '+')
      cls = "add";
    else if (!line.empty() && line.front() == '-')
      cls = "del";
    if (cls)
      out += std::string("<span class=") + cls + ">" + html_escape(line) + "</span>";
    else
      out += html_escape(line) + "\n";
  }
  return out;
}

net::ServerResponse web_index(ForgeHome& home, const std::string& base) {
  std::string body = "<h1>cove forge</h1><p>A local GitHub stand-in. Public repositories:</p><ul>";
  int hidden = 0;
  for (const auto& r : home.db().repos()) {
    if (!r.is_public) {
      ++hidden;
      continue;
    }
    body += "<li><a href=\"" + e(repo_url(base, r)) + "\">" + e(r.full_name()) + "</a></li>";
  }
  body += "</ul>";
  if (hidden) body += "<p class=muted>" + std::to_string(hidden) + " private repositories.</p>";
  return page(200, "cove forge", body);
}

net::ServerResponse web_page(ForgeHome& home, const std::string& base, const RepoRow& repo,
                             const std::string& rest, const std::string& /*query*/) {
  if (rest.empty() || rest == "/") return repo_home(home, base, repo);
  auto slash = rest.find('/', 1);
  std::string section = rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  std::string tail = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if ((section == "tree" || section == "blob" || section == "raw") && !tail.empty())
    return tree_or_blob(home, base, repo, section, tail);
  if (section == "commit" && !tail.empty()) return commit_page(home, base, repo, tail);
  if (section == "pulls" && tail.empty()) return pulls_page(home, base, repo, true);
  if (section == "issues" && tail.empty()) return pulls_page(home, base, repo, false);
  if (section == "pull" && !tail.empty()) return item_page(home, base, repo, tail, true);
  if (section == "issues") return item_page(home, base, repo, tail, false);
  return not_found("no page " + rest + " in " + repo.full_name());
}

}  // namespace cove::forge
