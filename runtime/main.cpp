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
  cove::cli::add_sandbox_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage error
  }
  return exit_code;
}
