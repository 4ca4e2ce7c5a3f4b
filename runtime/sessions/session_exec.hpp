// Commands run in a session's own sandbox from outside the agent loop (`cove exec`, `cove
// cp`): as the sandbox user, under its seccomp filter and cgroups, with the shell's
// environment (no tokens), in the session's working directory, beside the agent's turns.
// The sandbox is built when it is down and held up while the command runs; closing the
// session kills the command.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/spec.hpp"

namespace cove::sessions {

struct SandboxHold;

struct ExecRequest {
  std::vector<std::string> argv;
  std::string input;  // written to the command's stdin, then closed
};

// The command's output as it comes: stream 1 (stdout) or 2 (stderr). Returning false kills
// the command (the client went away).
using ExecOutput = std::function<bool(int stream, std::string_view data)>;

// Runs the command in the held sandbox until it ends. Throws sandbox::SpawnError when it
// cannot start (no such program, ...).
sandbox::ExitStatus run_in_sandbox(SandboxHold& hold, const ExecRequest& request,
                                   const ExecOutput& output);

// The argv that copies the regular file `path` of the session's /workspace to stdout, or
// stdin to a new or existing regular file `path` in a directory of /workspace (or to
// `path`/`name` when `path` is a directory; it prints where it wrote). Run inside
// the sandbox (as the sandbox user, in its mount namespace), so nothing outside it is
// reachable at all; the script also refuses a path that resolves outside /workspace
// (symlinks, `..`) and anything but a regular file, with one line saying so.
std::vector<std::string> copy_out_argv(const std::string& path);
std::vector<std::string> copy_in_argv(const std::string& path, const std::string& name);

}  // namespace cove::sessions
