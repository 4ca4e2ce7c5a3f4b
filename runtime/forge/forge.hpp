// `cove forge`: a local GitHub stand-in for offline repository workflows. One HTTP server
// offers, for the repositories under home/repos:
//   - git smart HTTP (fetch and push) at /OWNER/NAME(.git), tokens as HTTP Basic (any user)
//     or Bearer; private repositories and every push need a token;
//   - an MCP endpoint at /mcp/ (streamable HTTP, bearer token) with the GitHub MCP server's
//     repository, pull request and issue tools;
//   - read-only web pages per repository, commit, file and pull request.
// Admin operations (repositories, tokens) work while the server runs, from this process or
// another one (the admin CLI). Thread-safe: run() may be on another thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cove::forge {

struct ForgeOptions {
  std::filesystem::path home;
  std::string host = "127.0.0.1";
  uint16_t port = 8421;  // 0: any free port (see port())
  // Base URL for html_url fields and clone URLs; default http://HOST:PORT (the bound port).
  std::string public_url;
  std::size_t max_body_bytes = 512u << 20;  // largest push accepted
  std::string git_program = "git";
  int handler_threads = 32;
};

struct RepoInfo {
  std::string full_name;  // "owner/name"
  std::string owner;
  std::string name;
  bool is_public = false;
  std::string default_branch;
  std::filesystem::path git_dir;
  std::string clone_url;  // {public_url}/owner/name.git
  std::string html_url;   // {public_url}/owner/name
};

struct TokenInfo {
  int64_t id = 0;
  std::string token;  // in clear: shown once, never stored
  std::optional<std::string> repo;
  bool read_only = false;
  std::string login;
};

class Forge {
 public:
  explicit Forge(ForgeOptions options);
  ~Forge();
  Forge(const Forge&) = delete;
  Forge& operator=(const Forge&) = delete;

  // Binds the listening socket; throws std::runtime_error naming the address.
  void listen();
  uint16_t port() const;
  // The public URL without a trailing slash (valid after listen() when the port was 0).
  std::string base_url() const;
  // Serves until stop() or, with handle_signals, SIGINT/SIGTERM.
  void run(bool handle_signals);
  void stop();

  // Creates OWNER/NAME, empty or from a directory (plain files: one commit on main; a git
  // repository: its branches and tags). Throws std::invalid_argument (bad or taken name, bad
  // directory) or std::runtime_error.
  RepoInfo create_repo(const std::string& full_name, const std::filesystem::path& from_dir,
                       bool is_public);
  // A new token, for every repository or only `repo`. login: the user it acts as.
  TokenInfo create_token(std::optional<std::string> repo, bool read_only,
                         const std::string& login = "cove");
  // By the token itself or its numeric id; throws std::invalid_argument when unknown.
  void revoke_token(const std::string& token_or_id);

  // A pull request as the MCP tools show it (pull_request_read get); nullopt when missing.
  std::optional<nlohmann::json> pull_request(const std::string& full_name, int number);
  // Its unified diff; throws std::invalid_argument when missing.
  std::string pull_request_diff(const std::string& full_name, int number);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::forge
