// The built-in tools of agent_toolset_20260401 that act on a session's sandbox.
//
// File tools (read, write, edit, glob, grep) run in the runtime, not in the sandbox: every
// path is resolved inside the sandbox's root (openat2 with RESOLVE_IN_ROOT and no magic
// links, so neither symlinks nor ".." lead out) and every file is touched with the sandbox
// user's fs uid/gid, so permissions are the sandbox's. bash is one persistent shell process
// per session inside the sandbox: cwd and environment survive between calls.
//
// Results follow the SDK's reference runner: text content, is_error on failure with a
// message that says what to do, output capped with a note saying so.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "sandbox/fd.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::tools {

using json = nlohmann::json;

struct ToolOutput {
  json content = json::array();  // [{type:"text", text}]
  bool is_error = false;

  static ToolOutput text(std::string text, bool is_error = false);
};

struct ToolLimits {
  std::size_t max_output_bytes = 100 * 1024;  // bash and grep output
  std::size_t max_file_bytes = 256 * 1024;    // read and edit refuse larger files
  std::size_t max_glob_results = 200;
  std::chrono::milliseconds default_timeout{std::chrono::seconds(120)};  // bash
  std::chrono::milliseconds grep_timeout{std::chrono::seconds(60)};
};

// File tools over the root of a running sandbox.
class Workspace {
 public:
  // init_pid: the sandbox's init (its /proc/<pid>/root is the root); uid/gid: host ids of
  // the sandbox user; cwd: absolute path inside the sandbox that relative paths start from.
  // Throws std::runtime_error when the root cannot be opened. The tools may be called from
  // several threads at once; each runs on the calling thread, which for the duration of the
  // call takes the sandbox user's fs ids (and gets root's back afterwards).
  Workspace(pid_t init_pid, uid_t uid, gid_t gid, std::string cwd, ToolLimits limits = {});

  ToolOutput read(const json& input);   // file_path, view_range?
  ToolOutput write(const json& input);  // file_path, content
  ToolOutput edit(const json& input);   // file_path, old_string, new_string, replace_all?
  ToolOutput glob(const json& input);   // pattern, path?
  ToolOutput grep(const json& input, std::stop_token stop = {});  // pattern, path?

  const std::string& cwd() const { return cwd_; }

 private:
  sandbox::UniqueFd root_;
  uid_t uid_;
  gid_t gid_;
  std::string cwd_;
  ToolLimits limits_;
};

// The session's persistent bash inside the sandbox.
class Shell {
 public:
  // env: the shell's whole environment; cwd: where it starts. The Shell must be destroyed
  // before `sandbox`.
  Shell(sandbox::Sandbox& sandbox, std::vector<std::string> env, std::string cwd,
        ToolLimits limits = {});
  ~Shell();  // kills the shell and everything it started

  // The bash tool: command?, restart?, timeout_ms?. Blocks until the command finishes, its
  // timeout expires or `stop` fires (then the command's processes are killed and the
  // output so far is returned with a note). Thread-safe, one command at a time.
  ToolOutput run(const json& input, std::stop_token stop = {});
  // Starts the shell now (otherwise the first run() does); throws sandbox::SandboxError.
  void start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::tools
