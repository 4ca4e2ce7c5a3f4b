// The cove command line: one binary for the daemon, the sandbox and the tools around them.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "base/version.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/cli/environment_help.hpp"
#include "runtime/cli/parse_error.hpp"

namespace {
std::vector<std::string> g_trailing;
}

const std::vector<std::string>& cove::cli::trailing_args() {
  return g_trailing;
}
void cove::cli::set_trailing_args(std::vector<std::string> args) {
  g_trailing = std::move(args);
}

int main(int argc, char** argv) {
  CLI::App app{"cove: run AI-agent sessions locally behind the Managed Agents API"};
  app.name("cove");
  app.footer(cove::cli::kEnvironmentHelp);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cove ") + cove::version());
  int exit_code = 0;
  cove::cli::add_sandbox_commands(app, exit_code);
  cove::cli::add_serve_commands(app, exit_code);
  cove::cli::add_repo_commands(app, exit_code);
  cove::cli::add_mcp_commands(app, exit_code);
  cove::cli::add_run_commands(app, exit_code);
  cove::cli::add_demo_commands(app, exit_code);
  cove::cli::add_forge_commands(app, exit_code);
  cove::cli::add_session_commands(app, exit_code);
  cove::cli::add_log_commands(app, exit_code);
  cove::cli::add_info_commands(app, exit_code);
  cove::cli::add_exec_commands(app, exit_code);

  // CLI11 cannot hand a subcommand everything after "--"; split it off here.
  std::vector<std::string> words(argv + 1, argv + argc);
  auto dashdash = std::find(words.begin(), words.end(), "--");
  if (dashdash != words.end()) {
    cove::cli::set_trailing_args({dashdash + 1, words.end()});
    words.erase(dashdash, words.end());
  }
  std::reverse(words.begin(), words.end());  // CLI11 parses a reversed vector
  try {
    app.parse(words);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 leaves what it did not consume in `words`, still reversed.
    std::reverse(words.begin(), words.end());
    std::cerr << cove::cli::explain_parse_error(app, e, words) << "\n";
    return 2;  // usage error
  }
  return exit_code;
}
