// The forge's state directory: home/forge.db (SQLite, WAL) and home/repos/OWNER/NAME.git (bare
// repositories). Both the server and the admin CLI work through this class, possibly at the
// same time from different processes. Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "runtime/forge/forge_db.hpp"

namespace cove::forge {

// The commit identity of a forge user: "login <login@users.noreply.cove.local>".
std::string noreply_email(const std::string& login);

class ForgeHome {
 public:
  // Creates the directory layout when missing. Throws std::runtime_error naming the path.
  explicit ForgeHome(std::filesystem::path home);

  const std::filesystem::path& home() const { return home_; }
  std::filesystem::path repos_dir() const { return home_ / "repos"; }
  std::filesystem::path git_dir(const RepoRow& repo) const;
  ForgeDb& db() { return *db_; }

  // Creates OWNER/NAME: empty, or from a directory (plain files become one commit on
  // `default_branch`; a git repository has its branches and tags imported). Throws
  // std::invalid_argument for a bad or taken name, std::runtime_error for git failures.
  RepoRow create_repo(const std::string& full_name, const std::filesystem::path& from_dir,
                      bool is_public, const std::string& default_branch = "main");
  std::optional<RepoRow> find_repo(const std::string& owner, const std::string& name);

  // A new token (returned once, in clear) and its record.
  std::pair<std::string, TokenRecord> create_token(const std::optional<std::string>& repo,
                                                   bool read_only, const std::string& login);
  // Revokes by the token itself or by its numeric id; throws std::invalid_argument when no
  // such token exists.
  void revoke_token(const std::string& token_or_id);
  // The record of a valid (known, not revoked) token.
  std::optional<TokenRecord> authenticate(const std::string& token);

  // Serialises this process's writes to one repository (refs are compare-and-swap anyway).
  std::mutex& repo_lock(int64_t repo_id);

 private:
  std::filesystem::path home_;
  std::unique_ptr<ForgeDb> db_;
  std::mutex locks_mu_;
  std::map<int64_t, std::unique_ptr<std::mutex>> locks_;
};

}  // namespace cove::forge
