// The forge's SQLite database (see forge_db.hpp).
#include "runtime/forge/forge_db.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/store/sqlite.hpp"

namespace cove::forge {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS repos(
  id INTEGER PRIMARY KEY,
  owner TEXT NOT NULL COLLATE NOCASE,
  name TEXT NOT NULL COLLATE NOCASE,
  is_public INTEGER NOT NULL,
  default_branch TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE(owner, name));
CREATE TABLE IF NOT EXISTS tokens(
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  repo TEXT,
  read_only INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  login TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  number INTEGER NOT NULL,
  is_pull INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  state_reason TEXT NOT NULL,
  user TEXT NOT NULL,
  labels TEXT NOT NULL,
  assignees TEXT NOT NULL,
  reviewers TEXT NOT NULL,
  draft INTEGER NOT NULL,
  maintainer_can_modify INTEGER NOT NULL,
  head_ref TEXT NOT NULL,
  base_ref TEXT NOT NULL,
  head_sha TEXT NOT NULL,
  base_sha TEXT NOT NULL,
  merged INTEGER NOT NULL,
  merged_at TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  merge_commit_sha TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  closed_at TEXT NOT NULL,
  UNIQUE(repo_id, number));
CREATE TABLE IF NOT EXISTS comments(
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  number INTEGER NOT NULL,
  user TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS comments_by_item ON comments(repo_id, number, id);
)sql";

constexpr const char* kItemColumns =
    "id, repo_id, number, is_pull, title, body, state, state_reason, user, labels, assignees, "
    "reviewers, draft, maintainer_can_modify, head_ref, base_ref, head_sha, base_sha, merged, "
    "merged_at, merged_by, merge_commit_sha, created_at, updated_at, closed_at";

std::string to_json_list(const std::vector<std::string>& v) {
  return nlohmann::json(v).dump();
}

std::vector<std::string> from_json_list(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

RepoRow read_repo(store::Statement& s) {
  RepoRow r;
  r.id = s.column_int(0);
  r.owner = s.column_text(1);
  r.name = s.column_text(2);
  r.is_public = s.column_int(3) != 0;
  r.default_branch = s.column_text(4);
  r.description = s.column_text(5);
  r.created_at = s.column_text(6);
  return r;
}

TokenRecord read_token(store::Statement& s) {
  TokenRecord t;
  t.id = s.column_int(0);
  t.hint = s.column_text(1);
  if (!s.column_is_null(2)) t.repo = s.column_text(2);
  t.read_only = s.column_int(3) != 0;
  t.revoked = s.column_int(4) != 0;
  t.login = s.column_text(5);
  t.created_at = s.column_text(6);
  return t;
}

Item read_item(store::Statement& s) {
  Item i;
  int c = 0;
  i.id = s.column_int(c++);
  i.repo_id = s.column_int(c++);
  i.number = static_cast<int>(s.column_int(c++));
  i.is_pull = s.column_int(c++) != 0;
  i.title = s.column_text(c++);
  i.body = s.column_text(c++);
  i.state = s.column_text(c++);
  i.state_reason = s.column_text(c++);
  i.user = s.column_text(c++);
  i.labels = from_json_list(s.column_text(c++));
  i.assignees = from_json_list(s.column_text(c++));
  i.reviewers = from_json_list(s.column_text(c++));
  i.draft = s.column_int(c++) != 0;
  i.maintainer_can_modify = s.column_int(c++) != 0;
  i.head_ref = s.column_text(c++);
  i.base_ref = s.column_text(c++);
  i.head_sha = s.column_text(c++);
  i.base_sha = s.column_text(c++);
  i.merged = s.column_int(c++) != 0;
  i.merged_at = s.column_text(c++);
  i.merged_by = s.column_text(c++);
  i.merge_commit_sha = s.column_text(c++);
  i.created_at = s.column_text(c++);
  i.updated_at = s.column_text(c++);
  i.closed_at = s.column_text(c++);
  return i;
}

// Binds every column after id, repo_id and number, starting at `first`.
void bind_item_fields(store::Statement& s, const Item& i, int first) {
  int c = first;
  s.bind(c++, static_cast<int64_t>(i.is_pull));
  s.bind(c++, i.title);
  s.bind(c++, i.body);
  s.bind(c++, i.state);
  s.bind(c++, i.state_reason);
  s.bind(c++, i.user);
  s.bind(c++, to_json_list(i.labels));
  s.bind(c++, to_json_list(i.assignees));
  s.bind(c++, to_json_list(i.reviewers));
  s.bind(c++, static_cast<int64_t>(i.draft));
  s.bind(c++, static_cast<int64_t>(i.maintainer_can_modify));
  s.bind(c++, i.head_ref);
  s.bind(c++, i.base_ref);
  s.bind(c++, i.head_sha);
  s.bind(c++, i.base_sha);
  s.bind(c++, static_cast<int64_t>(i.merged));
  s.bind(c++, i.merged_at);
  s.bind(c++, i.merged_by);
  s.bind(c++, i.merge_commit_sha);
  s.bind(c++, i.created_at);
  s.bind(c++, i.updated_at);
  s.bind(c++, i.closed_at);
}

}  // namespace

std::string now_iso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ForgeDb::ForgeDb(const std::filesystem::path& file)
    : db_(std::make_unique<store::Connection>(file.string())) {
  db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  db_->exec(kSchema);
}

ForgeDb::~ForgeDb() = default;

RepoRow ForgeDb::insert_repo(const std::string& owner, const std::string& name, bool is_public,
                             const std::string& default_branch) {
  std::lock_guard lock(mu_);
  try {
    auto s = db_->prepare(
        "INSERT INTO repos(owner, name, is_public, default_branch, created_at) "
        "VALUES(?, ?, ?, ?, ?) RETURNING id, owner, name, is_public, default_branch, "
        "description, created_at");
    s.bind(1, owner).bind(2, name).bind(3, static_cast<int64_t>(is_public));
    s.bind(4, default_branch).bind(5, now_iso8601());
    if (!s.step()) throw std::runtime_error("insert into repos returned no row");
    auto row = read_repo(s);
    s.run();
    return row;
  } catch (const store::SqliteError& e) {
    if (e.is_constraint())
      throw std::invalid_argument("repository " + owner + "/" + name + " already exists");
    throw;
  }
}

std::optional<RepoRow> ForgeDb::find_repo(const std::string& owner, const std::string& name) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "SELECT id, owner, name, is_public, default_branch, description, created_at FROM repos "
      "WHERE owner = ? AND name = ?");
  s.bind(1, owner).bind(2, name);
  if (!s.step()) return std::nullopt;
  return read_repo(s);
}

std::vector<RepoRow> ForgeDb::repos() {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "SELECT id, owner, name, is_public, default_branch, description, created_at FROM repos "
      "ORDER BY owner, name");
  std::vector<RepoRow> out;
  while (s.step())
    out.push_back(read_repo(s));
  return out;
}

void ForgeDb::remove_repo(int64_t id) {
  std::lock_guard lock(mu_);
  db_->prepare("DELETE FROM repos WHERE id = ?").bind(1, id).run();
}

TokenRecord ForgeDb::insert_token(const std::string& hash, const std::string& hint,
                                  const std::optional<std::string>& repo, bool read_only,
                                  const std::string& login) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "INSERT INTO tokens(hash, hint, repo, read_only, login, created_at) VALUES(?, ?, ?, ?, ?, ?) "
      "RETURNING id, hint, repo, read_only, revoked, login, created_at");
  s.bind(1, hash).bind(2, hint);
  if (repo)
    s.bind(3, *repo);
  else
    s.bind_null(3);
  s.bind(4, static_cast<int64_t>(read_only)).bind(5, login).bind(6, now_iso8601());
  if (!s.step()) throw std::runtime_error("insert into tokens returned no row");
  auto t = read_token(s);
  s.run();
  return t;
}

std::optional<TokenRecord> ForgeDb::token_by_hash(const std::string& hash) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "SELECT id, hint, repo, read_only, revoked, login, created_at FROM tokens WHERE hash = ?");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return read_token(s);
}

bool ForgeDb::revoke_token_hash(const std::string& hash) {
  std::lock_guard lock(mu_);
  db_->prepare("UPDATE tokens SET revoked = 1 WHERE hash = ?").bind(1, hash).run();
  return db_->changes() > 0;
}

bool ForgeDb::revoke_token_id(int64_t id) {
  std::lock_guard lock(mu_);
  db_->prepare("UPDATE tokens SET revoked = 1 WHERE id = ?").bind(1, id).run();
  return db_->changes() > 0;
}

std::vector<TokenRecord> ForgeDb::tokens() {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "SELECT id, hint, repo, read_only, revoked, login, created_at FROM tokens ORDER BY id");
  std::vector<TokenRecord> out;
  while (s.step())
    out.push_back(read_token(s));
  return out;
}

Item ForgeDb::insert_item(Item item) {
  std::lock_guard lock(mu_);
  // One statement: SQLite's write lock makes the number assignment atomic across processes.
  auto s = db_->prepare(
      std::string("INSERT INTO items(") + kItemColumns +
      ") SELECT NULL, ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
      "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23 FROM items WHERE repo_id = ?1 "
      "RETURNING id, number");
  s.bind(1, item.repo_id);
  bind_item_fields(s, item, 2);
  if (!s.step()) throw std::runtime_error("insert into items returned no row");
  item.id = s.column_int(0);
  item.number = static_cast<int>(s.column_int(1));
  s.run();
  return item;
}

std::optional<Item> ForgeDb::item(int64_t repo_id, int number) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(std::string("SELECT ") + kItemColumns +
                        " FROM items WHERE repo_id = ? AND number = ?");
  s.bind(1, repo_id).bind(2, static_cast<int64_t>(number));
  if (!s.step()) return std::nullopt;
  return read_item(s);
}

void ForgeDb::update_item(const Item& item) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "UPDATE items SET is_pull = ?1, title = ?2, body = ?3, state = ?4, state_reason = ?5, "
      "user = ?6, labels = ?7, assignees = ?8, reviewers = ?9, draft = ?10, "
      "maintainer_can_modify = ?11, head_ref = ?12, base_ref = ?13, head_sha = ?14, "
      "base_sha = ?15, merged = ?16, merged_at = ?17, merged_by = ?18, merge_commit_sha = ?19, "
      "created_at = ?20, updated_at = ?21, closed_at = ?22 WHERE id = ?23");
  bind_item_fields(s, item, 1);
  s.bind(23, item.id);
  s.run();
}

std::vector<Item> ForgeDb::items(int64_t repo_id, const ItemFilter& f, int page, int per_page,
                                 int* total) {
  std::vector<Item> all;
  {
    std::lock_guard lock(mu_);
    std::string order = f.order_by == "updated"    ? "updated_at"
                        : f.order_by == "comments" ? "(SELECT COUNT(*) FROM comments c WHERE "
                                                     "c.repo_id = items.repo_id AND c.number = "
                                                     "items.number)"
                                                   : "number";
    std::string sql = std::string("SELECT ") + kItemColumns +
                      " FROM items WHERE repo_id = ?1 AND (?2 < 0 OR is_pull = ?2) AND "
                      "(?3 = '' OR state = ?3) AND (?4 = '' OR head_ref = ?4) AND "
                      "(?5 = '' OR base_ref = ?5) AND (?6 = '' OR updated_at >= ?6) ORDER BY " +
                      order + (f.newest_first ? " DESC" : " ASC") + ", number" +
                      (f.newest_first ? " DESC" : " ASC");
    auto s = db_->prepare(sql);
    s.bind(1, repo_id);
    s.bind(2, static_cast<int64_t>(f.is_pull ? (*f.is_pull ? 1 : 0) : -1));
    s.bind(3, f.state).bind(4, f.head_ref).bind(5, f.base_ref).bind(6, f.since);
    while (s.step())
      all.push_back(read_item(s));
  }
  if (!f.labels.empty()) {
    std::erase_if(all, [&](const Item& i) {
      return !std::all_of(f.labels.begin(), f.labels.end(), [&](const std::string& l) {
        return std::find(i.labels.begin(), i.labels.end(), l) != i.labels.end();
      });
    });
  }
  if (total) *total = static_cast<int>(all.size());
  std::size_t begin =
      static_cast<std::size_t>(std::max(0, page - 1)) * static_cast<std::size_t>(per_page);
  if (begin >= all.size()) return {};
  std::size_t end = std::min(all.size(), begin + static_cast<std::size_t>(per_page));
  return {std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(begin)),
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end))};
}

Comment ForgeDb::insert_comment(int64_t repo_id, int number, const std::string& user,
                                const std::string& body) {
  std::lock_guard lock(mu_);
  auto now = now_iso8601();
  auto s = db_->prepare(
      "INSERT INTO comments(repo_id, number, user, body, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?) RETURNING id");
  s.bind(1, repo_id).bind(2, static_cast<int64_t>(number)).bind(3, user).bind(4, body);
  s.bind(5, now).bind(6, now);
  if (!s.step()) throw std::runtime_error("insert into comments returned no row");
  Comment c{s.column_int(0), repo_id, number, user, body, now, now};
  s.run();
  return c;
}

std::vector<Comment> ForgeDb::comments(int64_t repo_id, int number, int page, int per_page) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare(
      "SELECT id, user, body, created_at, updated_at FROM comments WHERE repo_id = ? AND "
      "number = ? ORDER BY id LIMIT ? OFFSET ?");
  s.bind(1, repo_id).bind(2, static_cast<int64_t>(number)).bind(3, static_cast<int64_t>(per_page));
  s.bind(4, static_cast<int64_t>(std::max(0, page - 1)) * per_page);
  std::vector<Comment> out;
  while (s.step())
    out.push_back({s.column_int(0), repo_id, number, s.column_text(1), s.column_text(2),
                   s.column_text(3), s.column_text(4)});
  return out;
}

int ForgeDb::comment_count(int64_t repo_id, int number) {
  std::lock_guard lock(mu_);
  auto s = db_->prepare("SELECT COUNT(*) FROM comments WHERE repo_id = ? AND number = ?");
  s.bind(1, repo_id).bind(2, static_cast<int64_t>(number));
  return s.step() ? static_cast<int>(s.column_int(0)) : 0;
}

}  // namespace cove::forge
