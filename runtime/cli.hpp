// Subcommands of the cove CLI. Each group registers itself on the top-level app; the
// callbacks set the process exit code through the returned reference.
#pragma once

namespace CLI {
class App;
}

namespace cove::cli {

// `cove sandbox run|shell`: run commands in a fresh sandbox.
void add_sandbox_commands(CLI::App& app, int& exit_code);

// `cove mcp tools|call`: list or call the tools of an MCP server (streamable HTTP).
void add_mcp_commands(CLI::App& app, int& exit_code);

}  // namespace cove::cli
