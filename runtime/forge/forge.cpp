// `cove forge`: routing of one HTTP server to git smart HTTP, the MCP endpoint and the web
// pages, with GitHub's answers for missing or insufficient credentials (see forge.hpp).
#include "runtime/forge/forge.hpp"

#include <signal.h>

#include <iostream>
#include <mutex>

#include "base/version.hpp"
#include "mcp/server.hpp"
#include "net/http_server.hpp"
#include "runtime/forge/access.hpp"
#include "runtime/forge/forge_home.hpp"
#include "runtime/forge/git_http.hpp"
#include "runtime/forge/git_repo.hpp"
#include "runtime/forge/github_tools.hpp"
#include "runtime/forge/paths.hpp"
#include "runtime/forge/web.hpp"

namespace cove::forge {

namespace {

net::ServerResponse text_response(int status, const std::string& text) {
  net::ServerResponse r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  r.body = text;
  return r;
}

const char* kInstructions =
    "This is cove forge, a local stand-in for GitHub. Repositories are addressed by owner and "
    "repo as on GitHub; html_url fields point at the forge's own pages. Files written with "
    "create_or_update_file need the current blob SHA when they exist already.";

// The MCP endpoint takes the forge's tokens (Bearer, or Basic like git); a caller is the
// token's row, so that a revoked token stops working at once, even on open sessions.
mcp::Authentication authenticate(ForgeHome& home, std::string_view authorization) {
  auto creds = parse_authorization(authorization);
  if (creds.kind == Credentials::Kind::malformed) return {mcp::Authentication::Kind::malformed, {}};
  if (creds.kind == Credentials::Kind::none) return {mcp::Authentication::Kind::missing, {}};
  auto token = home.authenticate(creds.token);
  if (!token) return {mcp::Authentication::Kind::rejected, {}};
  return {mcp::Authentication::Kind::accepted, {hash_token(creds.token), std::move(*token)}};
}

mcp::ServerOptions mcp_options() {
  mcp::ServerOptions o;
  o.name = "cove-forge";
  o.title = "cove forge (a local GitHub stand-in)";
  o.version = cove::version();
  o.instructions = kInstructions;
  o.realm = "cove forge";
  return o;
}

}  // namespace

struct Forge::Impl {
  ForgeOptions options;
  ForgeHome home;
  GitHubTools tools;
  mcp::Server mcp;
  GitBackendOptions backend;
  std::unique_ptr<net::HttpServer> server;
  mutable std::mutex url_mu;
  std::string base_url;

  explicit Impl(ForgeOptions o)
      : options(std::move(o)),
        home(options.home),
        tools(home, ""),
        mcp(mcp_options(), tools,
            [this](std::string_view authorization) { return authenticate(home, authorization); }) {
    backend.git_program = options.git_program;
    backend.project_root = home.repos_dir();
    backend.home = home.home();
    backend.max_request_buffer = options.max_body_bytes;
  }

  net::ServerResponse handle(net::ServerRequest& req);
  net::ServerResponse git(const net::ServerRequest& req, const RepoPath& path, const GitRequest& g,
                          const std::string& query);
  net::ServerResponse web(const net::ServerRequest& req, const RepoPath& path,
                          const std::string& query);
  std::string url() const {
    std::lock_guard lock(url_mu);
    return base_url;
  }
};

net::ServerResponse Forge::Impl::handle(net::ServerRequest& req) {
  auto target = split_target(req.target);
  if (!target) return text_response(400, "malformed request target\n");
  if (target->path == "/mcp" || target->path == "/mcp/") return mcp.handle(req);
  if (target->path == "/" && req.method == "GET") return web_index(home, url());
  auto path = parse_repo_path(target->path);
  if (!path) return text_response(404, "Not Found\n");
  auto g = classify_git_request(req.method, path->rest, target->query);
  if (g.is_git) return git(req, *path, g, target->query);
  if (req.method != "GET") return text_response(405, "Method Not Allowed\n");
  return web(req, *path, target->query);
}

namespace {

// Checks a request for a repository like GitHub does; nullopt to go ahead, else the answer.
std::optional<net::ServerResponse> refuse(ForgeHome& home, const net::ServerRequest& req,
                                          const std::optional<RepoRow>& repo, bool push,
                                          std::optional<TokenRecord>& token) {
  auto creds = parse_authorization(req.header("authorization"));
  if (creds.kind == Credentials::Kind::token) token = home.authenticate(creds.token);
  std::optional<RepoAccess> access;
  if (repo) access = RepoAccess{repo->full_name(), repo->is_public};
  auto d = decide(creds.kind != Credentials::Kind::none, token ? &*token : nullptr,
                  access ? &*access : nullptr, push);
  if (d.status == 200) return std::nullopt;
  auto r = text_response(d.status, d.message + "\n");
  if (d.status == 401) r.headers.emplace_back("www-authenticate", R"(Basic realm="cove forge")");
  return r;
}

}  // namespace

net::ServerResponse Forge::Impl::git(const net::ServerRequest& req, const RepoPath& path,
                                     const GitRequest& g, const std::string& query) {
  auto repo = home.find_repo(path.owner, path.name);
  std::optional<TokenRecord> token;
  if (auto answer = refuse(home, req, repo, g.push(), token)) return std::move(*answer);
  CgiRequest cgi;
  cgi.method = req.method;
  cgi.path_info = "/" + repo->owner + "/" + repo->name + ".git" + path.rest;
  cgi.query = query;
  cgi.content_type = std::string(req.header("content-type"));
  cgi.content_encoding = std::string(req.header("content-encoding"));
  cgi.git_protocol = std::string(req.header("git-protocol"));
  cgi.remote_user = token ? token->login : "";
  cgi.remote_addr = req.peer.substr(0, req.peer.rfind(':'));
  cgi.allow_push = g.push();
  cgi.body = req.body;
  CgiResponse out;
  try {
    out = run_http_backend(backend, cgi);
  } catch (const std::exception& e) {
    std::cerr << "cove forge: " << req.method << " " << cgi.path_info << ": " << e.what() << "\n";
    return text_response(500, "git failed on the server\n");
  }
  if (out.status >= 500)
    std::cerr << "cove forge: " << req.method << " " << cgi.path_info << " -> " << out.status
              << ": " << out.body;
  net::ServerResponse r;
  r.status = out.status;
  r.headers = std::move(out.headers);
  r.body = std::move(out.body);
  return r;
}

net::ServerResponse Forge::Impl::web(const net::ServerRequest& req, const RepoPath& path,
                                     const std::string& query) {
  auto repo = home.find_repo(path.owner, path.name);
  std::optional<TokenRecord> token;
  if (auto answer = refuse(home, req, repo, false, token)) return std::move(*answer);
  return web_page(home, url(), *repo, path.rest, query);
}

Forge::Forge(ForgeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  ::signal(SIGPIPE, SIG_IGN);  // git http-backend may exit before reading a whole body
  ensure_libgit2();
  net::HttpServerOptions http;
  http.host = impl_->options.host;
  http.port = impl_->options.port;
  http.max_body_bytes = impl_->options.max_body_bytes;
  http.handler_threads = impl_->options.handler_threads;
  http.header_timeout = std::chrono::seconds(120);  // also bounds reading a push's body
  http.write_timeout = std::chrono::seconds(300);   // a clone's pack is one write
  impl_->server = std::make_unique<net::HttpServer>(
      http, [impl = impl_.get()](net::ServerRequest& req) { return impl->handle(req); });
  // Until listen() knows the port, the configured one stands in.
  std::string base = impl_->options.public_url;
  if (base.empty()) {
    auto host = impl_->options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    base = "http://" + host + ":" + std::to_string(impl_->options.port);
  }
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  impl_->base_url = base;
  impl_->tools.set_public_url(base);
}

Forge::~Forge() = default;

void Forge::listen() {
  impl_->server->listen();
  if (impl_->options.public_url.empty()) {
    auto host = impl_->options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string base = "http://" + host + ":" + std::to_string(impl_->server->port());
    {
      std::lock_guard lock(impl_->url_mu);
      impl_->base_url = base;
    }
    impl_->tools.set_public_url(base);
  }
}

uint16_t Forge::port() const {
  return impl_->server->port();
}

std::string Forge::base_url() const {
  return impl_->url();
}

void Forge::run(bool handle_signals) {
  impl_->server->run(handle_signals);
}

void Forge::stop() {
  impl_->server->stop();
}

RepoInfo Forge::create_repo(const std::string& full_name, const std::filesystem::path& from_dir,
                            bool is_public) {
  auto row = impl_->home.create_repo(full_name, from_dir, is_public);
  RepoInfo info;
  info.full_name = row.full_name();
  info.owner = row.owner;
  info.name = row.name;
  info.is_public = row.is_public;
  info.default_branch = row.default_branch;
  info.git_dir = impl_->home.git_dir(row);
  info.html_url = base_url() + "/" + row.full_name();
  info.clone_url = info.html_url + ".git";
  return info;
}

TokenInfo Forge::create_token(std::optional<std::string> repo, bool read_only,
                              const std::string& login) {
  auto [token, record] = impl_->home.create_token(repo, read_only, login);
  return {record.id, token, record.repo, record.read_only, record.login};
}

void Forge::revoke_token(const std::string& token_or_id) {
  impl_->home.revoke_token(token_or_id);
}

std::optional<nlohmann::json> Forge::pull_request(const std::string& full_name, int number) {
  return impl_->tools.pull_request(full_name, number, true);
}

std::string Forge::pull_request_diff(const std::string& full_name, int number) {
  return impl_->tools.pull_request_diff(full_name, number);
}

}  // namespace cove::forge
