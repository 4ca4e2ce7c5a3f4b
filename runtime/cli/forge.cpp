// `cove forge`: run the local GitHub stand-in, and administer it (repositories, tokens)
// directly on its home directory, also while the server runs.
#include "runtime/forge/forge.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "net/http_server.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/size.hpp"
#include "runtime/forge/forge_home.hpp"

namespace cove::cli {

namespace {

struct ForgeArgs {
  std::string home;
  std::string listen = "127.0.0.1:8421";
  std::string public_url;
  std::string max_body = "512M";
  // repo create
  std::string repo;
  std::string from;
  bool is_public = false;
  // token create / revoke
  std::string token_repo;
  bool read_only = false;
  std::string user = "cove";
  std::string token;
};

// $COVE_HOME/forge: beside `cove serve`'s state.
std::string forge_home(const ForgeArgs& a) {
  return a.home.empty() ? default_home() + "/forge" : a.home;
}

// The URL a listen address is reached at, for messages of the admin commands.
std::string url_for(const ForgeArgs& a) {
  if (!a.public_url.empty()) return a.public_url;
  return "http://" + a.listen;
}

template <class Fn>
void guarded(int& exit_code, const char* what, Fn fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    std::cerr << "cove forge " << what << ": " << e.what() << "\n";
    exit_code = 2;
  } catch (const std::exception& e) {
    std::cerr << "cove forge " << what << ": " << e.what() << "\n";
    exit_code = 1;
  }
}

int serve(const ForgeArgs& a) {
  auto [host, port] = net::parse_listen_address(a.listen);
  forge::ForgeOptions opt;
  opt.home = forge_home(a);
  opt.host = host;
  opt.port = port;
  opt.public_url = a.public_url;
  auto max_body = parse_size(a.max_body);
  if (!max_body || *max_body == 0)
    throw std::invalid_argument("--max-body must be a size like 512M, got '" + a.max_body + "'");
  opt.max_body_bytes = static_cast<std::size_t>(*max_body);
  forge::Forge forge(opt);
  forge.listen();
  std::cout << "cove forge: home " << opt.home.string() << "\n"
            << "cove forge: MCP endpoint " << forge.base_url() << "/mcp/\n"
            << "cove forge: listening on http://" << host << ":" << forge.port() << std::endl;
  forge.run(true);
  return 0;
}

void repo_create(const ForgeArgs& a) {
  forge::ForgeHome home(forge_home(a));
  auto row = home.create_repo(a.repo, a.from, a.is_public);
  std::cout << "created " << row.full_name() << " (" << (row.is_public ? "public" : "private")
            << ", default branch " << row.default_branch << ")\n"
            << "clone: " << url_for(a) << "/" << row.full_name() << ".git\n";
}

void repo_list(const ForgeArgs& a) {
  forge::ForgeHome home(forge_home(a));
  for (const auto& r : home.db().repos())
    std::cout << r.full_name() << "\t" << (r.is_public ? "public" : "private") << "\t"
              << home.git_dir(r).string() << "\n";
}

void token_create(const ForgeArgs& a) {
  forge::ForgeHome home(forge_home(a));
  std::optional<std::string> scope;
  if (!a.token_repo.empty()) scope = a.token_repo;
  auto [secret, record] = home.create_token(scope, a.read_only, a.user);
  std::cerr << "token " << record.id << " for " << record.login << ": "
            << (record.repo ? *record.repo : std::string("every repository")) << ", "
            << (record.read_only ? "read-only" : "read-write") << " (shown once; store it now)\n";
  std::cout << secret << std::endl;
}

void token_revoke(const ForgeArgs& a) {
  forge::ForgeHome home(forge_home(a));
  home.revoke_token(a.token);
  std::cout << "revoked\n";
}

void token_list(const ForgeArgs& a) {
  forge::ForgeHome home(forge_home(a));
  for (const auto& t : home.db().tokens())
    std::cout << t.id << "\t" << t.hint << "\t" << t.login << "\t"
              << (t.repo ? *t.repo : std::string("*")) << "\t"
              << (t.read_only ? "read-only" : "read-write") << "\t"
              << (t.revoked ? "revoked" : "active") << "\t" << t.created_at << "\n";
}

// A leaf subcommand that runs `handler` on the parsed options.
CLI::App* add_action(CLI::App& parent, const std::string& name, const std::string& help,
                     std::shared_ptr<ForgeArgs> a, int& exit_code,
                     void (*handler)(const ForgeArgs&)) {
  auto* sub = parent.add_subcommand(name, help);
  sub->fallthrough();
  sub->callback([what = parent.get_name() + " " + name, a, handler, &exit_code] {
    guarded(exit_code, what.c_str(), [&] { handler(*a); });
  });
  return sub;
}

void add_repo(CLI::App& forge, const std::shared_ptr<ForgeArgs>& a, int& exit_code) {
  auto* repo = forge.add_subcommand("repo", "Manage the forge's repositories");
  repo->fallthrough();
  repo->require_subcommand(1);
  auto* create =
      add_action(*repo, "create", "Create a repository OWNER/NAME", a, exit_code, repo_create);
  create->add_option("name", a->repo, "OWNER/NAME")->required();
  create->add_option("--from", a->from,
                     "directory whose files become the first commit on main, or a git "
                     "repository whose branches and tags are imported");
  create->add_flag("--public", a->is_public, "anyone may fetch it without a token");
  add_action(*repo, "list", "List the repositories", a, exit_code, repo_list);
}

void add_token(CLI::App& forge, const std::shared_ptr<ForgeArgs>& a, int& exit_code) {
  auto* token = forge.add_subcommand("token", "Manage access tokens");
  token->fallthrough();
  token->require_subcommand(1);
  auto* create =
      add_action(*token, "create", "Create a token and print it once (stdout: the token alone)", a,
                 exit_code, token_create);
  create->add_option("--repo", a->token_repo, "limit the token to OWNER/NAME");
  create->add_flag("--read-only", a->read_only, "the token may fetch and read, never write");
  create->add_option("--user", a->user, "the user the token acts as (commit author, PR user)")
      ->capture_default_str();
  auto* revoke = add_action(*token, "revoke", "Revoke a token, by the token or its id", a,
                            exit_code, token_revoke);
  revoke->add_option("token", a->token, "the token, or its numeric id")->required();
  add_action(*token, "list", "List tokens (never their secret)", a, exit_code, token_list);
}

}  // namespace

void add_forge_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ForgeArgs>();
  auto* forge = app.add_subcommand(
      "forge", "Run a local GitHub stand-in (git over HTTP, GitHub MCP tools, web pages)");
  forge->add_option("--home", a->home, "forge state directory (default $COVE_HOME/forge)");
  forge->add_option("--listen", a->listen, "HOST:PORT to serve on")->capture_default_str();
  forge->add_option("--public-url", a->public_url,
                    "base URL in html_url fields and clone URLs (default http://HOST:PORT)");
  forge->add_option("--max-body", a->max_body, "largest request (push) accepted")
      ->capture_default_str();
  forge->require_subcommand(0, 1);
  forge->callback([forge, a, &exit_code] {
    if (!forge->get_subcommands().empty()) return;
    guarded(exit_code, "", [&] { exit_code = serve(*a); });
  });
  add_repo(*forge, a, exit_code);
  add_token(*forge, a, exit_code);
}

}  // namespace cove::cli
