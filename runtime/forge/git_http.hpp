// Git smart HTTP for the forge's repositories: each request runs `git http-backend` as a CGI
// program (the body piped in, its CGI headers parsed out). Authorization happens before: this
// layer only turns receive-pack on when the caller says the request may push.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cove::forge {

struct CgiRequest {
  std::string method;
  std::string path_info;  // "/owner/name.git/info/refs", below the project root
  std::string query;
  std::string content_type;
  std::string content_encoding;  // "gzip" for compressed request bodies
  std::string git_protocol;      // the Git-Protocol header ("version=2")
  std::string remote_user;       // the token's login; "" for anonymous requests
  std::string remote_addr;
  bool allow_push = false;
  std::string body;
};

struct CgiResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct GitBackendOptions {
  std::string git_program = "git";
  std::filesystem::path project_root;  // home/repos
  std::filesystem::path home;          // HOME for git (no user config is read)
  std::size_t max_request_buffer = 512u << 20;
  std::chrono::seconds timeout{600};
};

// Runs one request through `git http-backend`. Throws std::runtime_error when git cannot be
// started or its output is not CGI; a git failure is a 500 response with git's message.
CgiResponse run_http_backend(const GitBackendOptions& options, const CgiRequest& request);

// Splits CGI output into status, headers and body; nullopt when it has no header block.
std::optional<CgiResponse> parse_cgi_output(std::string_view output);

}  // namespace cove::forge
