// The cove command line: one binary for the daemon, the sandbox and the tools around them.
#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"cove: run AI-agent sessions locally behind the Managed Agents API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cove 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
