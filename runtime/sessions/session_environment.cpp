#include "runtime/sessions/session_environment.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "mounts/repo_cache.hpp"
#include "runtime/domain/event.hpp"
#include "runtime/netproxy/egress_policy.hpp"
#include "runtime/sessions/agent_session.hpp"
#include "runtime/sessions/id_slot.hpp"
#include "runtime/sessions/owned_dir.hpp"
#include "runtime/sessions/session_error.hpp"
#include "runtime/sessions/session_storage.hpp"
#include "sandbox/id_map.hpp"

namespace cove::sessions {

namespace fs = std::filesystem;

namespace {

// The session's /workspace, owned by the sandbox user. The agent controls what is inside
// it (and it survives a crash of the daemon), so directories below it are made through this
// fd with make_owned_dir, never by path.
UniqueFd open_workspace(const fs::path& session_dir, uid_t uid, gid_t gid) {
  fs::create_directories(session_dir);
  UniqueFd dir(::open(session_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) throw std::system_error(errno, std::generic_category(), "open " + session_dir.string());
  return make_owned_dir(dir.get(), "workspace", uid, gid);
}

// A checkout's mount point below /workspace (open_workspace's fd).
void make_mount_point(int workspace, const std::string& target, uid_t uid, gid_t gid) {
  try {
    make_owned_dir(workspace, target.substr(std::string("/workspace/").size()), uid, gid);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot make the mount point " + target + " (" + e.what() + ")");
  }
}

// The egress proxy's policy for the environment's networking.
netproxy::NetworkPolicy network_policy(const domain::NetworkingPolicy& networking,
                                       bool allow_private_addresses) {
  netproxy::NetworkPolicy policy;
  policy.unrestricted = !networking.limited;
  policy.allowed_hosts = networking.allowed_hosts;
  if (networking.allow_package_managers)
    for (const auto& h : netproxy::package_manager_hosts())
      policy.allowed_hosts.push_back(h);
  policy.allow_private_addresses = allow_private_addresses;
  return policy;
}

std::string base_name(const std::string& mount_path) {
  auto slash = mount_path.find_last_of('/');
  std::string name = slash == std::string::npos ? mount_path : mount_path.substr(slash + 1);
  return name.empty() ? "repo" : name;
}

}  // namespace

SessionEnvironment::SessionEnvironment(RunnerShared& shared, std::string session_id)
    : shared_(shared), session_id_(std::move(session_id)) {}

SessionEnvironment::~SessionEnvironment() {
  shell_.reset();
  workspace_.reset();
  git_.reset();
  egress_.reset();
  sandbox_.reset();
  // The session's checkouts and /workspace stay for its next sandbox; deleting the session
  // removes them (session_storage.hpp).
  for (const auto& c : checkouts_) {
    try {
      shared_.repos().detach(c.checkout_id);
    } catch (const std::exception&) {
      // Still mounted: the next start's sweep unmounts it.
    }
  }
}

std::vector<std::string> SessionEnvironment::shell_env() {
  std::string proxy = "http://127.0.0.1:" + std::to_string(netproxy::kEgressPort);
  return {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
          "HOME=/tmp",
          "USER=cove",
          "LANG=C.UTF-8",
          "TERM=dumb",
          "PAGER=cat",
          "GIT_PAGER=cat",
          "GIT_TERMINAL_PROMPT=0",
          "GIT_AUTHOR_NAME=cove agent",
          "GIT_AUTHOR_EMAIL=agent@cove.invalid",
          "GIT_COMMITTER_NAME=cove agent",
          "GIT_COMMITTER_EMAIL=agent@cove.invalid",
          "http_proxy=" + proxy,
          "https_proxy=" + proxy,
          "HTTP_PROXY=" + proxy,
          "HTTPS_PROXY=" + proxy,
          "no_proxy=127.0.0.1,localhost",
          "NO_PROXY=127.0.0.1,localhost"};
}

std::optional<netproxy::GitRemote> SessionEnvironment::remote(const std::string& name) {
  for (const auto& c : checkouts_) {
    if (c.name != name) continue;
    netproxy::GitRemote r;
    r.url = c.url;
    // Read on every request: a token rotated through the API applies to the next one.
    if (auto token = shared_.log.store().secret(c.resource_id)) r.token = *token;
    return r;
  }
  return std::nullopt;
}

// The recipe: the sandbox's spec, its /workspace, the repositories bound in, then the
// sandbox, its proxies and its shell, each a reported step.
std::vector<RepositoryFailure> SessionEnvironment::prepare(
    const std::vector<domain::Resource>& resources, const domain::EnvironmentConfig& environment,
    const StepRunner& step) {
  const auto& config = shared_.config;
  if (config.home.empty()) throw std::runtime_error("the runner has no state directory");
  earlier_ = earlier_setup(shared_.log.store(), session_id_);
  std::vector<RepositoryFailure> failures;
  if (earlier_.workspace && !fs::exists(config.home / "sessions" / session_id_ / "workspace"))
    failures.push_back({"", domain::session_error::kUnknown,
                        "the session's /workspace from before could not be restored: it is gone "
                        "from the host; /workspace starts empty"});
  sandbox::SandboxSpec spec = sandbox_spec();
  UniqueFd workspace = bind_workspace(spec);
  for (auto& f : mount_repositories(resources, spec, workspace.get(), step))
    failures.push_back(std::move(f));
  for (auto& f : restore_failures_)
    failures.push_back(std::move(f));
  policy_ = network_policy(environment.networking, config.egress_allow_private);
  step("sandbox", spec.name, [&] { sandbox_ = sandbox::Sandbox::start(spec); });
  step("network", "egress and git proxies", [&] { start_proxies(); });
  step("shell", "bash and the file tools", [&] { start_shell(); });
  return failures;
}

// The sandbox's name, limits and host ids. The ids are the session's own: no other live
// session runs as the same host uid.
sandbox::SandboxSpec SessionEnvironment::sandbox_spec() {
  const auto& config = shared_.config;
  sandbox::SandboxSpec spec;
  spec.name = sandbox_name(session_id_);
  spec.limits = config.limits;
  spec.identity.host_base = slot_host_base(claim_id_slot(
      config.home / "sessions", session_id_,
      [&](const std::string& id) { return shared_.log.store().get(id).has_value(); }));
  return spec;
}

// The session's /workspace, made for the sandbox user and bound into `spec`; returns it open.
UniqueFd SessionEnvironment::bind_workspace(sandbox::SandboxSpec& spec) {
  fs::path session_dir = shared_.config.home / "sessions" / session_id_;
  auto owner = sandbox::sandbox_user_on_host(spec.identity);
  UniqueFd workspace = open_workspace(session_dir, owner.uid, owner.gid);
  spec.binds.push_back({(session_dir / "workspace").string(), "/workspace", false});
  return workspace;
}

// The egress and git proxies, listening inside the sandbox's network namespace.
void SessionEnvironment::start_proxies() {
  auto& proxies = shared_.proxies();
  egress_ = proxies.serve_egress(
      netproxy::listen_in_netns(sandbox_->init_pid(), netproxy::kEgressPort), policy_);
  git_ = proxies.serve_git(netproxy::listen_in_netns(sandbox_->init_pid(), netproxy::kGitPort),
                           [this](const std::string& name) { return remote(name); });
}

// The persistent shell and the file tools, working in workdir_.
void SessionEnvironment::start_shell() {
  const auto& limits = shared_.config.tool_limits;
  workspace_ = std::make_unique<tools::Workspace>(*sandbox_, workdir_, limits);
  workspace_->start();
  shell_ = std::make_unique<tools::Shell>(*sandbox_, shell_env(), workdir_, limits);
  shell_->start();
}

std::vector<RepositoryFailure> SessionEnvironment::mount_repositories(
    const std::vector<domain::Resource>& resources, sandbox::SandboxSpec& spec, int workspace,
    const StepRunner& step) {
  std::vector<RepositoryFailure> failures;
  std::set<std::string> names;
  int index = 0;
  for (const auto& r : resources) {
    const auto* repo = r.repository();
    if (!repo) continue;
    Checkout c;
    c.resource_id = r.id;
    c.url = repo->url;
    c.name = base_name(r.mount_path);
    while (!names.insert(c.name).second)
      c.name += "-" + std::to_string(++index);
    // Stable per resource, and unique even when another repository of the session failed.
    c.checkout_id = checkout_id(session_id_, r.id);
    try {
      if (auto why = netproxy::runtime_target_refusal(repo->url, shared_.config.targets()))
        throw mounts::RepoError(mounts::RepoErrorKind::clone, repo->url, *why);
      mount_repository(r, std::move(c), spec, workspace, step);
    } catch (const std::exception& e) {
      failures.push_back(
          {repo->url, session_error_type(e, domain::session_error::kRepositoryCheckout), e.what()});
    }
  }
  // With a single repository, work in it.
  if (checkouts_.size() == 1)
    for (const auto& r : resources)
      if (r.id == checkouts_[0].resource_id) workdir_ = r.mount_path;
  return failures;
}

void SessionEnvironment::mount_repository(const domain::Resource& r, Checkout c,
                                          sandbox::SandboxSpec& spec, int workspace,
                                          const StepRunner& step) {
  const auto& repo = *r.repository();
  mounts::CheckoutRequest req;
  req.session_id = c.checkout_id;
  req.repo.url = repo.url;
  if (repo.checkout && repo.checkout->kind == domain::RepositoryCheckout::Kind::branch)
    req.repo.branch = repo.checkout->ref;
  if (repo.checkout && repo.checkout->kind == domain::RepositoryCheckout::Kind::commit)
    req.repo.commit = repo.checkout->ref;
  if (auto token = shared_.log.store().secret(r.id)) req.repo.token = *token;
  req.mount_path = r.mount_path;
  auto owner = sandbox::sandbox_user_on_host(spec.identity);
  req.owner = {owner.uid, owner.gid};
  step("repository", repo.url, [&] {
    if (r.mount_path.rfind("/workspace/", 0) == 0)
      make_mount_point(workspace, r.mount_path, req.owner.uid, req.owner.gid);
    auto result = restore_checkout(c, r.mount_path);
    if (!result) result = shared_.repos().checkout(req);
    checkouts_.push_back(c);
    // git inside the sandbox talks to the git proxy; the runtime adds the token.
    mounts::set_remote_url(
        result->host_dir, "origin",
        "http://127.0.0.1:" + std::to_string(netproxy::kGitPort) + "/" + c.name + ".git",
        req.owner);
    for (const auto& m : result->plan.entries)
      spec.binds.push_back({m.source.string(), m.target, m.read_only});
  });
}

// The checkout an earlier sandbox of the session left (its commits, branches and files),
// mounted again. nullopt when there is none to restore; one that an earlier sandbox had but
// that is gone or cannot be mounted is reported (restore_failures_) and released, and the
// repository is checked out afresh.
std::optional<mounts::SessionCheckout> SessionEnvironment::restore_checkout(
    const Checkout& c, const std::string& mount_path) {
  std::string why;
  try {
    if (auto kept = shared_.repos().reattach(c.checkout_id, mount_path)) return kept;
    why = "its checkout is gone from the host";
  } catch (const std::exception& e) {
    why = e.what();
    shared_.repos().release(c.checkout_id);
  }
  // Nothing to report when no earlier sandbox had it (new, or it failed before).
  if (!earlier_.repositories.count(c.url)) return std::nullopt;
  restore_failures_.push_back({c.url, domain::session_error::kRepositoryCheckout,
                               "the session's checkout of " + c.url +
                                   " from before could not be restored (" + why +
                                   "); it was checked out afresh, without the session's "
                                   "earlier changes"});
  return std::nullopt;
}

}  // namespace cove::sessions
