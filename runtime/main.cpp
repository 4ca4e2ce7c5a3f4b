// The cove command line: one binary for the daemon, the sandbox and the tools around them.
#include <CLI/CLI.hpp>
#include <string>

#include "runtime/cli.hpp"
#include "runtime/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cove: run AI-agent sessions locally behind the Managed Agents API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cove ") + cove::version());
  int exit_code = 0;
  cove::cli::add_mcp_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
