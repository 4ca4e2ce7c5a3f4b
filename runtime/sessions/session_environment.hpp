// A session's environment, built on its first turn following DESIGN.md's recipe: the
// repositories checked out from the cache at their mount paths, the sandbox built from the
// environment's limits with those checkouts bound in, the egress and git proxies listening
// inside its network namespace, and the persistent shell. Torn down in reverse order, except
// the session's /workspace and checkouts: they stay on the host for the session's next
// environment, which mounts them again (session_storage.hpp).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "mounts/repo_cache.hpp"
#include "runtime/domain/environment.hpp"
#include "runtime/domain/resource.hpp"
#include "runtime/netproxy/proxy.hpp"
#include "runtime/sessions/session_storage.hpp"
#include "runtime/tools/tools.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::sessions {

struct RunnerShared;
using json = nlohmann::json;

// Runs one named set-up step, reporting its start, end and duration on the event stream.
// Exceptions from `work` propagate after being reported.
using StepRunner =
    std::function<void(const std::string& step, const std::string& name, std::function<void()>)>;

// A repository that could not be mounted (the session goes on without it), or state of an
// earlier sandbox that could not be restored (the session goes on with it afresh).
struct RepositoryFailure {
  std::string url;         // empty: the session's /workspace
  std::string error_type;  // repository_*_error (see session_error_type)
  std::string message;
};

class SessionEnvironment {
 public:
  SessionEnvironment(RunnerShared& shared, std::string session_id);
  ~SessionEnvironment();
  SessionEnvironment(const SessionEnvironment&) = delete;
  SessionEnvironment& operator=(const SessionEnvironment&) = delete;

  // Builds everything. Repository failures are returned (the rest goes on); a sandbox that
  // cannot be built throws (never run unsandboxed).
  std::vector<RepositoryFailure> prepare(const std::vector<domain::Resource>& resources,
                                         const domain::EnvironmentConfig& environment,
                                         const StepRunner& step);

  sandbox::Sandbox& sandbox() { return *sandbox_; }
  tools::Shell& shell() { return *shell_; }
  tools::Workspace& workspace() { return *workspace_; }
  const netproxy::NetworkPolicy& policy() const { return policy_; }
  const std::string& workdir() const { return workdir_; }

  // The shell's environment (also what tests look for tokens in).
  static std::vector<std::string> shell_env();

 private:
  struct Checkout {
    std::string resource_id;
    std::string url;
    std::string name;  // the git proxy's path segment
    std::string checkout_id;
  };
  // prepare()'s steps.
  sandbox::SandboxSpec sandbox_spec();
  UniqueFd bind_workspace(sandbox::SandboxSpec& spec);
  void start_proxies();
  void start_shell();
  std::optional<netproxy::GitRemote> remote(const std::string& name);
  // Checks the repositories out and adds their binds to `spec`; failures are returned.
  std::vector<RepositoryFailure> mount_repositories(const std::vector<domain::Resource>& resources,
                                                    sandbox::SandboxSpec& spec, int workspace,
                                                    const StepRunner& step);
  void mount_repository(const domain::Resource& resource, Checkout checkout,
                        sandbox::SandboxSpec& spec, int workspace, const StepRunner& step);
  std::optional<mounts::SessionCheckout> restore_checkout(const Checkout& checkout,
                                                          const std::string& mount_path);

  RunnerShared& shared_;
  std::string session_id_;
  std::string workdir_ = "/workspace";
  EarlierSetup earlier_;
  std::vector<RepositoryFailure> restore_failures_;
  std::vector<Checkout> checkouts_;
  netproxy::NetworkPolicy policy_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::unique_ptr<netproxy::ProxyService::Handle> egress_;
  std::unique_ptr<netproxy::ProxyService::Handle> git_;
  std::unique_ptr<tools::Shell> shell_;
  std::unique_ptr<tools::Workspace> workspace_;
};

}  // namespace cove::sessions
