// The forge's GitHub MCP tools (see tool_schemas.cpp for the list): repository contents,
// branches, commits and code search over libgit2, and pull requests, issues and comments in
// the forge database. Results are shaped like GitHub's server's (JSON text content with
// number, html_url, state, head, base, sha, …); failures are isError results whose message
// names the parameter or carries GitHub's status ("404 Not Found", "405 …", "422 …").
// Thread-safe.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mcp/server.hpp"
#include "runtime/forge/forge_home.hpp"

namespace cove::forge {

class GitRepo;

// A tool call's caller is the token's TokenRecord (the forge's authenticator makes it so).
class GitHubTools : public mcp::ToolProvider {
 public:
  // `public_url`: the forge's base URL for html_url fields ("http://127.0.0.1:8421").
  GitHubTools(ForgeHome& home, std::string public_url);

  const nlohmann::json& tools() const override;
  std::optional<nlohmann::json> call(const std::string& name, const nlohmann::json& arguments,
                                     const mcp::Caller& caller) override;

  // A pull request as get_pull_request shows it (with stats when `details`); nullopt when the
  // repository or pull request does not exist. No access check: for the in-process API.
  std::optional<nlohmann::json> pull_request(const std::string& full_name, int number,
                                             bool details);
  // Its unified diff (merge base to head); throws std::invalid_argument when it does not
  // exist.
  std::string pull_request_diff(const std::string& full_name, int number);

  // The base URL may change once (when the server learns its port).
  void set_public_url(std::string url);
  std::string public_url() const;

 private:
  ForgeHome& home_;
  mutable std::mutex mu_;
  std::string public_url_;
};

}  // namespace cove::forge
