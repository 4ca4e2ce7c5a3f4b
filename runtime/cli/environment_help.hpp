// The environment variables cove reads, for the footer of `cove --help`. A test
// (tests/cli/env_help_test.sh) checks that every variable named in the sources is listed.
#pragma once

namespace cove::cli {

inline constexpr const char* kEnvironmentHelp =
    R"(Environment (a command-line option wins over its variable):
  COVE_HOME               state directory (default $XDG_DATA_HOME/cove, else ~/.local/share/cove)
  COVE_URL                the daemon that run, ps, logs, ... talk to (default http://127.0.0.1:8420)
  COVE_API_KEY            cove's own API key: the one serve requires and clients send (see `cove key`)
  COVE_LISTEN             serve's HOST:PORT (default 127.0.0.1:8420)
  COVE_OFFLINE=1          serve: reach repositories, MCP servers and models only on loopback
  COVE_IDLE_TIMEOUT       serve: tear an idle session's sandbox down after this long (10m; 0 never)
  COVE_MODEL              run: the agent's model id (prefixes anthropic:, openai:, scripted:)
Model settings belong to the daemon (serve, or the one run embeds) and are read where it runs:
  COVE_MODEL_PROVIDER     anthropic (default), openai or scripted
  ANTHROPIC_API_KEY       the Anthropic API key (also COVE_MODEL_API_KEY); never a cove key
  COVE_MODEL_BASE_URL     a Messages API server other than Anthropic's
  COVE_OPENAI_BASE_URL    an OpenAI-compatible server, with /v1 (llama.cpp, vLLM, Ollama)
  COVE_OPENAI_API_KEY     its key, if it needs one
  COVE_MODEL_SCRIPT       a script of model turns (selects the scripted provider)
  COVE_MODEL_SCRIPTS_DIR  where the models scripted:NAME are found
  COVE_MODEL_RECORD_DIR   record every model reply, one script per session, for replay
Tokens (never given as arguments):
  COVE_REPO_TOKEN         run --repo: the repositories' token (else GITHUB_TOKEN)
  COVE_MCP_TOKEN_<NAME>   run --mcp NAME=URL: that server's bearer token
Output:
  NO_COLOR                no colours, even on a terminal)";

}  // namespace cove::cli
