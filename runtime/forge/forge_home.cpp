// The forge's state directory (see forge_home.hpp).
#include "runtime/forge/forge_home.hpp"

#include <sys/stat.h>

#include <stdexcept>
#include <system_error>

#include "runtime/forge/git_repo.hpp"
#include "runtime/forge/paths.hpp"

namespace cove::forge {

namespace fs = std::filesystem;

std::string noreply_email(const std::string& login) {
  return login + "@users.noreply.cove.local";
}

ForgeHome::ForgeHome(fs::path home) : home_(std::move(home)) {
  std::error_code ec;
  fs::create_directories(home_ / "repos", ec);
  if (ec)
    throw std::runtime_error("cannot create " + (home_ / "repos").string() + ": " + ec.message());
  ::chmod(home_.c_str(), 0700);
  db_ = std::make_unique<ForgeDb>(home_ / "forge.db");
}

fs::path ForgeHome::git_dir(const RepoRow& repo) const {
  return repos_dir() / repo.owner / (repo.name + ".git");
}

std::optional<RepoRow> ForgeHome::find_repo(const std::string& owner, const std::string& name) {
  return db_->find_repo(owner, name);
}

RepoRow ForgeHome::create_repo(const std::string& full_name, const fs::path& from_dir,
                               bool is_public, const std::string& default_branch) {
  auto name = parse_repo_name(full_name);
  if (db_->find_repo(name.owner, name.name))
    throw std::invalid_argument("repository " + name.full() + " already exists");
  ensure_libgit2();
  // Built aside and moved into place once the database row exists: a failure leaves nothing.
  fs::path staging =
      repos_dir() / (".new-" + name.owner + "-" + name.name + "-" + std::to_string(::getpid()) +
                     "-" + hash_token(generate_token()).substr(0, 12));
  std::error_code ec;
  try {
    GitRepo::create_bare(staging, default_branch);
    std::string branch = default_branch;
    {
      GitRepo repo(staging);
      if (!from_dir.empty())
        repo.import_directory(from_dir, default_branch, {"cove", noreply_email("cove")});
      branch = repo.head_branch();
    }
    auto row = db_->insert_repo(name.owner, name.name, is_public, branch);
    auto target = git_dir(row);
    fs::create_directories(target.parent_path(), ec);
    if (!ec) fs::rename(staging, target, ec);
    if (ec) {
      db_->remove_repo(row.id);
      throw std::runtime_error("cannot move the new repository to " + target.string() + ": " +
                               ec.message());
    }
    return row;
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

std::pair<std::string, TokenRecord> ForgeHome::create_token(const std::optional<std::string>& repo,
                                                            bool read_only,
                                                            const std::string& login) {
  std::optional<std::string> scope;
  if (repo) {
    auto name = parse_repo_name(*repo);
    auto row = db_->find_repo(name.owner, name.name);
    if (!row) throw std::invalid_argument("no repository " + name.full() + " on this forge");
    scope = row->full_name();
  }
  check_name("login", login);
  auto token = generate_token();
  auto record = db_->insert_token(hash_token(token), token_hint(token), scope, read_only, login);
  return {token, record};
}

void ForgeHome::revoke_token(const std::string& token_or_id) {
  bool numeric = !token_or_id.empty() && token_or_id.size() < 19 &&
                 token_or_id.find_first_not_of("0123456789") == std::string::npos;
  bool done = numeric ? db_->revoke_token_id(std::stoll(token_or_id))
                      : db_->revoke_token_hash(hash_token(token_or_id));
  if (!done)
    throw std::invalid_argument(numeric ? "no token with id " + token_or_id
                                        : std::string("no such token"));
}

std::optional<TokenRecord> ForgeHome::authenticate(const std::string& token) {
  if (token.empty() || token.size() > 256) return std::nullopt;
  auto record = db_->token_by_hash(hash_token(token));
  if (!record || record->revoked) return std::nullopt;
  return record;
}

std::mutex& ForgeHome::repo_lock(int64_t repo_id) {
  std::lock_guard lock(locks_mu_);
  auto& slot = locks_[repo_id];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

}  // namespace cove::forge
