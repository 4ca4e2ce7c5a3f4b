// `cove repo ...`: the repository cache from the command line (fetch, ls, gc, checkout,
// release). The cache lives in $COVE_HOME/repos (default ~/.local/share/cove/repos).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "mounts/repo_cache.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/size.hpp"

namespace cove::cli {
namespace {

namespace fs = std::filesystem;
using namespace cove::mounts;

struct RepoArgs {
  std::string home;
  std::string url;
  std::string dir;
  std::string branch;
  std::string commit;
  std::string token_env;
  std::string max_size = "10G";
  std::string owner;
  std::string update = "if-stale";
  std::string session;
  int ttl = 60;
};

fs::path cove_home(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("COVE_HOME"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/root") / ".local/share/cove";
}

// Progress of a long fetch, on one rewritten stderr line, at most ten times a second.
struct ProgressLine {
  std::chrono::steady_clock::time_point last{};
  bool shown = false;
  void operator()(const FetchProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    shown = true;
    std::fprintf(stderr, "\rfetching %s: %u/%u objects, %.1f MiB, %u/%u deltas", p.url.c_str(),
                 p.received_objects, p.total_objects, p.received_bytes / 1048576.0,
                 p.indexed_deltas, p.total_deltas);
    std::fflush(stderr);
  }
  void finish() {
    if (shown) std::fputs("\n", stderr);
    shown = false;
  }
};

std::unique_ptr<RepoCache> open_cache(const RepoArgs& a, ProgressLine* progress) {
  RepoCacheOptions o;
  o.root = cove_home(a.home) / "repos";
  o.fetch_ttl = std::chrono::seconds(a.ttl);
  if (progress) o.progress = [progress](const FetchProgress& p) { (*progress)(p); };
  return std::make_unique<RepoCache>(o);
}

std::string token_from(const RepoArgs& a) {
  if (a.token_env.empty()) return "";
  const char* value = std::getenv(a.token_env.c_str());
  if (!value || !*value) {
    throw std::runtime_error("environment variable " + a.token_env + " is not set");
  }
  return value;
}

UpdatePolicy policy_from(const std::string& text) {
  if (text == "always") return UpdatePolicy::always;
  if (text == "never") return UpdatePolicy::never;
  if (text == "if-stale") return UpdatePolicy::if_stale;
  throw std::runtime_error("--update must be always, if-stale or never");
}

Owner owner_from(const std::string& text) {
  if (text.empty()) return Owner{::getuid(), ::getgid()};
  auto colon = text.find(':');
  try {
    Owner o;
    o.uid = static_cast<uid_t>(std::stoul(text.substr(0, colon)));
    o.gid =
        colon == std::string::npos ? o.uid : static_cast<gid_t>(std::stoul(text.substr(colon + 1)));
    return o;
  } catch (const std::exception&) {
    throw std::runtime_error("--owner must be UID or UID:GID");
  }
}

std::string human_bytes(std::uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1fG", b / double(1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1fM", b / double(1ull << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.1fK", b / 1024.0);
  }
  return buf;
}

std::string human_time(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "never";
  auto secs = std::chrono::system_clock::to_time_t(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&secs));
  return buf;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Runs a command body; errors become one line on stderr and exit code 1.
template <typename F>
void guarded(int& exit_code, ProgressLine* progress, F&& body) {
  try {
    body();
    if (progress) progress->finish();
  } catch (const std::exception& e) {
    if (progress) progress->finish();
    std::cerr << "cove repo: " << e.what() << "\n";
    exit_code = 1;
  }
}

void repo_fetch(const RepoArgs& args, ProgressLine& progress) {
  auto start = std::chrono::steady_clock::now();
  auto cache = open_cache(args, &progress);
  RepoSpec spec{args.url, args.branch, "", token_from(args), UpdatePolicy::always};
  auto info = cache->fetch(spec);
  progress.finish();
  std::printf("%s %s %s (%s, %.0f ms)\n", info.url.c_str(), info.commit.c_str(),
              args.branch.empty() ? info.default_branch.c_str() : args.branch.c_str(),
              info.cloned    ? "cloned"
              : info.fetched ? "fetched"
                             : "up to date",
              ms_since(start));
}

void repo_ls(const RepoArgs& args) {
  auto cache = open_cache(args, nullptr);
  auto repos = cache->list();
  if (repos.empty()) std::printf("no repositories cached in %s\n", cache->root().c_str());
  for (const auto& r : repos) {
    std::printf("%s\n  size %s, last used %s, last fetch %s, %d live session(s)\n", r.url.c_str(),
                human_bytes(r.bytes).c_str(), human_time(r.last_used).c_str(),
                human_time(r.last_fetch).c_str(), r.live_sessions);
    std::printf("  prepared commits:%s\n", r.prepared_commits.empty() ? " none" : "");
    for (const auto& c : r.prepared_commits)
      std::printf("    %s\n", c.c_str());
  }
}

void repo_gc(const RepoArgs& args) {
  // 0 is a valid budget here: evict everything not in use.
  auto budget = args.max_size == "0" ? std::optional<uint64_t>(0) : parse_size(args.max_size);
  if (!budget)
    throw std::invalid_argument("--max-size " + args.max_size +
                                ": expected a size such as 10G (K, M, G or T)");
  auto cache = open_cache(args, nullptr);
  auto report = cache->gc(*budget);
  for (const auto& e : report.evicted)
    std::printf("evicted %s\n", e.c_str());
  std::printf("cache %s -> %s (budget %s)\n", human_bytes(report.bytes_before).c_str(),
              human_bytes(report.bytes_after).c_str(), human_bytes(*budget).c_str());
}

// A checkout is mounted over DIR: files already there would be hidden until the release, so
// a non-empty DIR is refused, as `git clone` refuses one.
void check_empty_target(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  if (!fs::is_empty(dir, ec))
    throw std::runtime_error(dir.string() +
                             " is not an empty directory; a checkout mounted there would hide "
                             "its files: give an empty or new directory");
}

void repo_checkout(const RepoArgs& args, ProgressLine& progress) {
  auto start = std::chrono::steady_clock::now();
  check_empty_target(fs::absolute(args.dir));
  auto cache = open_cache(args, &progress);
  CheckoutRequest req;
  req.session_id = args.session.empty() ? "cli-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(std::time(nullptr))
                                        : args.session;
  req.repo =
      RepoSpec{args.url, args.branch, args.commit, token_from(args), policy_from(args.update)};
  req.mount_path = "/workspace/" + fs::path(args.url).stem().string();
  req.owner = owner_from(args.owner);
  req.host_dir = fs::absolute(args.dir);
  auto out = cache->checkout(req);
  double ms = ms_since(start);
  progress.finish();
  std::printf("session %s: %s %s%s at %s (%s, %.1f ms)\n", out.session_id.c_str(), out.url.c_str(),
              out.commit.c_str(),
              out.branch.empty() ? " (detached)" : (" on " + out.branch).c_str(),
              out.host_dir.c_str(),
              out.built_prepared_tree ? "built prepared tree"
              : out.updated_in_layer  ? "updated a nearby tree in the session layer"
                                      : "warm",
              ms);
  std::printf("release with: cove repo release %s\n", out.session_id.c_str());
}

// What every `cove repo` subcommand shares: the parsed options, the progress line and where
// the exit code goes.
struct RepoCommand {
  std::shared_ptr<RepoArgs> args = std::make_shared<RepoArgs>();
  std::shared_ptr<ProgressLine> progress = std::make_shared<ProgressLine>();
  int& exit_code;
};

void add_fetch(CLI::App& repo, const RepoCommand& c) {
  auto* fetch = repo.add_subcommand("fetch", "Create or update the mirror of a repository");
  fetch->fallthrough();
  fetch->add_option("url", c.args->url, "Repository URL")->required();
  fetch->add_option("--token-env", c.args->token_env, "Environment variable holding a token");
  fetch->add_option("--branch", c.args->branch, "Branch that must be present");
  fetch->callback([args = c.args, progress = c.progress, &exit_code = c.exit_code] {
    guarded(exit_code, progress.get(), [&] { repo_fetch(*args, *progress); });
  });
}

void add_ls(CLI::App& repo, const RepoCommand& c) {
  auto* ls = repo.add_subcommand("ls", "List cached repositories");
  ls->fallthrough();
  ls->callback([args = c.args, &exit_code = c.exit_code] {
    guarded(exit_code, nullptr, [&] { repo_ls(*args); });
  });
}

void add_gc(CLI::App& repo, const RepoCommand& c) {
  auto* gc = repo.add_subcommand("gc", "Evict least recently used trees and mirrors");
  gc->fallthrough();
  gc->add_option("--max-size", c.args->max_size, "Size budget, e.g. 10G (default 10G)");
  gc->callback([args = c.args, &exit_code = c.exit_code] {
    guarded(exit_code, nullptr, [&] { repo_gc(*args); });
  });
}

void add_checkout(CLI::App& repo, const RepoCommand& c) {
  auto& args = *c.args;
  auto* co = repo.add_subcommand("checkout", "Make a session-style checkout at DIR");
  co->fallthrough();
  co->add_option("url", args.url, "Repository URL")->required();
  co->add_option("dir", args.dir, "Directory to mount the checkout on")->required();
  auto* branch = co->add_option("--branch", args.branch, "Branch to check out");
  co->add_option("--commit", args.commit, "Commit to check out (detached)")->excludes(branch);
  co->add_option("--token-env", args.token_env, "Environment variable holding a token");
  co->add_option("--owner", args.owner, "UID[:GID] owning the checkout (default: caller)");
  co->add_option("--update", args.update, "always, if-stale (default) or never");
  co->add_option("--ttl", args.ttl, "Seconds a fetch stays fresh for if-stale (default 60)");
  co->add_option("--session", args.session, "Session id (default: generated)");
  co->callback([args = c.args, progress = c.progress, &exit_code = c.exit_code] {
    guarded(exit_code, progress.get(), [&] { repo_checkout(*args, *progress); });
  });
}

void add_release(CLI::App& repo, const RepoCommand& c) {
  auto* release = repo.add_subcommand("release", "Unmount a checkout and delete its layer");
  release->fallthrough();
  release->add_option("session", c.args->session, "Session id printed by checkout")->required();
  release->callback([args = c.args, &exit_code = c.exit_code] {
    guarded(exit_code, nullptr, [&] {
      auto cache = open_cache(*args, nullptr);
      // Only ids that name a session's layer: a mistyped id is an error, not a no-op.
      const auto& id = args->session;
      std::error_code ec;
      if (id.empty() || id.find('/') != std::string::npos || id == "." || id == ".." ||
          !fs::is_directory(cache->root() / "sessions" / id, ec))
        throw std::runtime_error("no checkout '" + id + "' in " + cache->root().string() +
                                 "/sessions (the id is the one `cove repo checkout` printed)");
      cache->release(id);
    });
  });
}

}  // namespace

void add_repo_commands(CLI::App& app, int& exit_code) {
  RepoCommand c{.exit_code = exit_code};
  auto* repo = app.add_subcommand("repo", "Repository cache: mirrors and session checkouts");
  repo->require_subcommand(1);
  repo->add_option("--home", c.args->home, "cove state directory (default $COVE_HOME)");
  add_fetch(*repo, c);
  add_ls(*repo, c);
  add_gc(*repo, c);
  add_checkout(*repo, c);
  add_release(*repo, c);
}

}  // namespace cove::cli
