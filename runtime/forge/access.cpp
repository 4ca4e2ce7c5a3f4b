// Tokens, credentials and access decisions of the forge (see access.hpp).
#include "runtime/forge/access.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace cove::forge {

std::string generate_token() {
  static constexpr std::string_view alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string token = "ghp_";
  while (token.size() < 40) {
    unsigned char raw[64];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : raw) {
      if (b >= 248) continue;  // 248 = 4 * 62: keeps the choice uniform
      token += alphabet[b % 62];
      if (token.size() == 40) break;
    }
  }
  return token;
}

std::string hash_token(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string token_hint(std::string_view token) {
  return std::string(token.substr(0, 8)) + "…";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Credentials parse_authorization(std::string_view header) {
  Credentials c;
  header = trim(header);
  if (header.empty()) return c;
  c.kind = Credentials::Kind::malformed;
  auto space = header.find(' ');
  if (space == std::string_view::npos) return c;
  auto scheme = header.substr(0, space);
  auto rest = trim(header.substr(space + 1));
  if (rest.empty()) return c;
  if (iequals(scheme, "bearer") || iequals(scheme, "token")) {
    c.kind = Credentials::Kind::token;
    c.token = std::string(rest);
    return c;
  }
  if (!iequals(scheme, "basic")) return c;
  auto decoded = base64_decode(rest);
  if (!decoded) return c;
  auto colon = decoded->find(':');
  std::string user = decoded->substr(0, colon);
  std::string password = colon == std::string::npos ? "" : decoded->substr(colon + 1);
  // git sends "user:token"; some tools send the token as the user with an empty password.
  c.token = !password.empty() ? password : user;
  if (c.token.empty()) return c;
  c.kind = Credentials::Kind::token;
  return c;
}

bool can_read(const TokenRecord* token, const RepoAccess& repo) {
  if (repo.is_public) return true;
  if (!token) return false;
  return !token->repo || iequals(*token->repo, repo.full_name);
}

bool can_write(const TokenRecord* token, const RepoAccess& repo) {
  if (!token || token->read_only) return false;
  return !token->repo || iequals(*token->repo, repo.full_name);
}

Decision decide(bool credentials_sent, const TokenRecord* token, const RepoAccess* repo,
                bool push) {
  if (credentials_sent && !token)
    return {401, "Invalid username or token. The token is unknown or was revoked."};
  if (!repo) {
    // Anonymous callers learn nothing about which repositories exist.
    if (!token) return {401, "Authentication required."};
    return {404, "Repository not found."};
  }
  if (push) {
    if (!token) return {401, "Authentication required to push."};
    if (!can_write(token, *repo))
      return {403,
              "Permission to " + repo->full_name + ".git denied to " + token->login +
                  (token->read_only ? " (read-only token)."
                                    : " (token limited to " + token->repo.value_or("") + ").")};
    return {200, {}};
  }
  if (can_read(token, *repo)) return {200, {}};
  if (!token) return {401, "Authentication required."};
  return {404, "Repository not found."};
}

}  // namespace cove::forge
