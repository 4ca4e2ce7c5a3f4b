// Who may do what on the forge: tokens (generated, stored only as SHA-256 hashes), the
// credentials a request carries (HTTP Basic with any user, or Bearer), and the decisions that
// map a token and a repository to GitHub's answers (401 / 403 / 404). Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/base64.hpp"

namespace cove::forge {

// A fresh random token, GitHub-shaped: "ghp_" followed by 36 base62 characters.
std::string generate_token();
// Lower-case hex SHA-256 of the token: the only form the database keeps.
std::string hash_token(std::string_view token);
// The first characters of a token, safe to show in listings ("ghp_AbCd…").
std::string token_hint(std::string_view token);

// One row of the tokens table.
struct TokenRecord {
  int64_t id = 0;
  std::string hint;                 // token_hint() of the token
  std::optional<std::string> repo;  // "owner/name" the token is limited to; empty: every repo
  bool read_only = false;
  bool revoked = false;
  std::string login = "cove";  // the user the token acts as (authors, PR and comment users)
  std::string created_at;      // ISO 8601
};

// The credentials of a request, from its Authorization header.
struct Credentials {
  enum class Kind { none, token, malformed };
  Kind kind = Kind::none;
  std::string token;  // Basic: the password (or the user name when the password is empty)
};
Credentials parse_authorization(std::string_view header);

// What a request may see of a repository.
struct RepoAccess {
  std::string full_name;  // "owner/name", compared case-insensitively
  bool is_public = false;
};

// `token` is null for anonymous requests; a revoked token must not reach these.
bool can_read(const TokenRecord* token, const RepoAccess& repo);
bool can_write(const TokenRecord* token, const RepoAccess& repo);

// The answer to a git or web request for a repository, like GitHub's.
struct Decision {
  int status = 200;     // 200: go ahead; 401 (ask for credentials), 403, 404
  std::string message;  // for the response body ("Repository not found.", …)
};
// `credentials_sent`: the request carried credentials; `token`: the valid token they named
// (null when none or invalid/revoked); `repo`: null when no such repository exists.
Decision decide(bool credentials_sent, const TokenRecord* token, const RepoAccess* repo, bool push);

// Case-insensitive ASCII comparison (repository names are case-insensitive, like GitHub's).
bool iequals(std::string_view a, std::string_view b);

// base64 (base/base64.hpp), as the forge's tools and tests name it.
using cove::base64_decode;
using cove::base64_encode;

}  // namespace cove::forge
