// Helpers for tests that run commands in real sandboxes (root required): the sandbox tests
// themselves, the built-in tools' and the network proxies'.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::test {

struct Output {
  sandbox::ExitStatus status;
  std::string out, err;
  // `name=value` lines of out.
  std::map<std::string, std::string> kv;
  std::string at(const std::string& key) const {
    auto it = kv.find(key);
    return it == kv.end() ? "<missing " + key + ">" : it->second;
  }
};

struct RunOptions {
  std::string cwd = "/tmp";
  std::chrono::milliseconds timeout{30000};
  std::string input;
  std::vector<std::string> env;
};

// Runs argv in `box`, capturing stdout and stderr.
Output run(sandbox::Sandbox& box, const std::vector<std::string>& argv, RunOptions opts = {});
// Shorthand for `bash -c script`.
Output sh(sandbox::Sandbox& box, const std::string& script, RunOptions opts = {});

// The cove binary and the probe binary of this build, or of $COVE_TEST_BIN_DIR when it is
// set: the rootless run (tests/sandbox/rootless.sh) copies them where its user can read.
std::string cove_binary();
std::string probe_binary();

// Where escape_test binds the probe binary inside the sandbox.
inline constexpr const char* kProbe = "/opt/cove/probe";
inline constexpr const char* kWorkspace = "/workspace/repo";

// A spec with the probe bound read-only and `workspace` (owned by the sandbox user) bound
// read-write at kWorkspace.
sandbox::SandboxSpec probe_spec(const std::string& workspace);
// Makes `dir` owned by the sandbox user of `spec`.
void give_to_sandbox_user(const std::string& dir, const sandbox::SandboxSpec& spec);

// Skips the calling test when `box` runs without cgroups: a rootless run outside a delegated
// cgroup, where the sandbox itself warns that limits do not hold.
#define COVE_REQUIRE_CGROUPS(box) \
  if (!(box).cgroup()) GTEST_SKIP() << "no cgroups: " << (box).limits_warning()

// Every host pid currently in the sandbox (its cgroups, or its init's process tree).
std::vector<pid_t> host_pids(const sandbox::Sandbox& box);
bool alive(pid_t pid);

}  // namespace cove::test
