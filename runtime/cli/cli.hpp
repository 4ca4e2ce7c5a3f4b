// Subcommands of the cove CLI. Each group registers itself on the top-level app; the
// callbacks set the process exit code through the returned reference.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cove::api {
struct ServerOptions;
}

namespace cove::cli {

// The state directory: $COVE_HOME, else $XDG_DATA_HOME/cove, else ~/.local/share/cove.
std::string default_home();
// The API key `cove serve` generated in `home` ("" when there is none yet).
std::string read_key(const std::string& home);
// A daemon's options with cove's defaults for this home (store, sessions, models from env).
api::ServerOptions server_options(const std::string& home);

// The words after the first standalone "--" on the command line (the command a subcommand
// runs), split off before CLI11 parses the rest.
const std::vector<std::string>& trailing_args();
void set_trailing_args(std::vector<std::string> args);

// `cove sandbox run|shell`: run commands in a fresh sandbox.
void add_sandbox_commands(CLI::App& app, int& exit_code);

// `cove serve` (the Managed Agents API server) and `cove key`.
void add_serve_commands(CLI::App& app, int& exit_code);

// `cove repo fetch|ls|gc|checkout|release`: the repository cache.
void add_repo_commands(CLI::App& app, int& exit_code);

// `cove mcp tools|call`: list or call the tools of an MCP server (streamable HTTP).
void add_mcp_commands(CLI::App& app, int& exit_code);

// `cove run`: one task in a new session, with live progress.
void add_run_commands(CLI::App& app, int& exit_code);

// `cove demo`: an offline repository workflow end to end (forge, daemon, scripted model).
void add_demo_commands(CLI::App& app, int& exit_code);

// `cove forge [repo|token …]`: the local GitHub stand-in and its administration.
void add_forge_commands(CLI::App& app, int& exit_code);

// `cove ps|interrupt|rm|prune`: a daemon's sessions, listed and managed.
void add_session_commands(CLI::App& app, int& exit_code);

// `cove logs|attach`: a session's events, read back or followed live.
void add_log_commands(CLI::App& app, int& exit_code);

// `cove version|info`: the client's and the daemon's version and configuration.
void add_info_commands(CLI::App& app, int& exit_code);

// `cove exec ID -- CMD...` and `cove cp`: a command or a file copy in a session's sandbox.
void add_exec_commands(CLI::App& app, int& exit_code);

}  // namespace cove::cli
