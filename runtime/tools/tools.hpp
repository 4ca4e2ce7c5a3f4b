// The built-in tools of agent_toolset_20260401 that act on a session's sandbox.
//
// Every tool acts inside the sandbox, as the sandbox user, under its seccomp filter and
// charged to its cgroups: bash is one persistent shell process per session (cwd and
// environment survive between calls); the file tools (read, write, edit, glob, grep) are
// served by `cove-tools`, a small program cove carries and starts inside the sandbox like
// any command. The runtime only passes requests and results; it never opens a file of the
// sandbox itself, so a tool can do nothing the sandbox's own bash cannot.
//
// Results follow the SDK's reference runner: text content, is_error on failure with a
// message that says what to do, output capped with a note saying so.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "runtime/tools/tool_output.hpp"
#include "sandbox/sandbox.hpp"

namespace cove::tools {

// The file tools of one sandbox, served from inside it (runtime/tools/server/).
class Workspace {
 public:
  // cwd: absolute path inside the sandbox that relative paths start from. The server starts
  // on the first call (or start()); the Workspace must be destroyed before `sandbox`.
  Workspace(sandbox::Sandbox& sandbox, std::string cwd, ToolLimits limits = {});
  ~Workspace();  // stops the server

  // Each blocks until the result is in, the call's time limit passes, or `stop` fires; then
  // the server is killed (a new one serves the next call) and the result says what happened.
  // Thread-safe, one call at a time.
  ToolOutput read(const json& input, std::stop_token stop = {});   // file_path, view_range?
  ToolOutput write(const json& input, std::stop_token stop = {});  // file_path, content
  ToolOutput edit(const json& input,
                  std::stop_token stop = {});  // file_path, old_string, new_string, replace_all?
  ToolOutput glob(const json& input, std::stop_token stop = {});  // pattern, path?
  ToolOutput grep(const json& input, std::stop_token stop = {});  // pattern, path?

  // Starts the server now; throws sandbox::SandboxError when it cannot start.
  void start();
  const std::string& cwd() const { return cwd_; }

 private:
  struct Server;
  ToolOutput call(const char* tool, const json& input, std::stop_token stop);
  void start_server();  // with mu_ held
  void stop_server();   // with mu_ held

  sandbox::Sandbox& sandbox_;
  std::string cwd_;
  ToolLimits limits_;
  std::mutex mu_;  // one call at a time
  std::unique_ptr<Server> server_;
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
