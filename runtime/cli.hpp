// Subcommands of the cove CLI. Each group registers itself on the top-level app; the
// callbacks set the process exit code through the returned reference.
#pragma once

namespace CLI {
class App;
}

namespace cove::cli {

// `cove sandbox run|shell`: run commands in a fresh sandbox.
void add_sandbox_commands(CLI::App& app, int& exit_code);

// `cove repo fetch|ls|gc|checkout|release`: the repository cache.
void add_repo_commands(CLI::App& app, int& exit_code);

}  // namespace cove::cli
