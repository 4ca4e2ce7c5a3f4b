// The forge's SQLite database (home/forge.db, WAL): repositories, tokens (hashed), and issues,
// pull requests and their comments. Issues and pull requests share one number sequence per
// repository, as on GitHub. Thread-safe: one connection behind a mutex; several processes
// (the server and the admin CLI) may open the same file at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/forge/access.hpp"

namespace cove::store {
class Connection;
}

namespace cove::forge {

struct RepoRow {
  int64_t id = 0;
  std::string owner;
  std::string name;
  bool is_public = false;
  std::string default_branch = "main";
  std::string description;
  std::string created_at;
  std::string full_name() const { return owner + "/" + name; }
};

// An issue or a pull request (is_pull): the pull-request fields are empty for issues.
struct Item {
  int64_t id = 0;
  int64_t repo_id = 0;
  int number = 0;
  bool is_pull = false;
  std::string title;
  std::string body;
  std::string state = "open";  // "open" | "closed"
  std::string state_reason;    // issues: "completed" | "not_planned" | "duplicate" | ""
  std::string user;
  std::vector<std::string> labels;
  std::vector<std::string> assignees;
  std::vector<std::string> reviewers;
  bool draft = false;
  bool maintainer_can_modify = false;
  std::string head_ref, base_ref;  // branch names
  std::string head_sha, base_sha;  // recorded when the pull request closes or merges
  bool merged = false;
  std::string merged_at, merged_by, merge_commit_sha;
  std::string created_at, updated_at, closed_at;
};

struct Comment {
  int64_t id = 0;
  int64_t repo_id = 0;
  int number = 0;
  std::string user;
  std::string body;
  std::string created_at, updated_at;
};

struct ItemFilter {
  std::optional<bool> is_pull;
  std::string state;  // "open" | "closed" | "" (all)
  std::string head_ref, base_ref;
  std::vector<std::string> labels;  // every label must be present
  std::string since;                // updated_at >= since (ISO 8601)
  bool newest_first = true;
  std::string order_by = "created";  // "created" | "updated" | "comments"
};

// "2026-01-31T12:00:00Z" for now (UTC, second precision).
std::string now_iso8601();

class ForgeDb {
 public:
  // Opens (creating when needed) the database file and its schema. Throws on failure.
  explicit ForgeDb(const std::filesystem::path& file);
  ~ForgeDb();
  ForgeDb(const ForgeDb&) = delete;
  ForgeDb& operator=(const ForgeDb&) = delete;

  // Repositories. insert_repo throws std::invalid_argument when the name is taken.
  RepoRow insert_repo(const std::string& owner, const std::string& name, bool is_public,
                      const std::string& default_branch);
  std::optional<RepoRow> find_repo(const std::string& owner, const std::string& name);
  std::vector<RepoRow> repos();
  void remove_repo(int64_t id);  // undoes insert_repo when creating the git repository failed

  // Tokens (only hashes are stored).
  TokenRecord insert_token(const std::string& hash, const std::string& hint,
                           const std::optional<std::string>& repo, bool read_only,
                           const std::string& login);
  // Valid or revoked; nullopt when unknown.
  std::optional<TokenRecord> token_by_hash(const std::string& hash);
  // By hash or id; false when no such token.
  bool revoke_token_hash(const std::string& hash);
  bool revoke_token_id(int64_t id);
  std::vector<TokenRecord> tokens();

  // Issues and pull requests. insert_item assigns id and number (next in the repository).
  Item insert_item(Item item);
  std::optional<Item> item(int64_t repo_id, int number);
  void update_item(const Item& item);
  // One page (page from 1) of items matching the filter, and the total count.
  std::vector<Item> items(int64_t repo_id, const ItemFilter& filter, int page, int per_page,
                          int* total = nullptr);

  Comment insert_comment(int64_t repo_id, int number, const std::string& user,
                         const std::string& body);
  std::vector<Comment> comments(int64_t repo_id, int number, int page, int per_page);
  int comment_count(int64_t repo_id, int number);

 private:
  std::mutex mu_;
  std::unique_ptr<store::Connection> db_;
};

}  // namespace cove::forge
