// How the daemon reaches models: the provider configuration, kept apart from provider.hpp so
// that code which only passes it along (the API server, the CLI) does not compile Asio.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace cove::models {

// How the daemon reaches models. An agent's model id may carry a provider prefix that
// overrides `provider` for that agent: "anthropic:NAME", "openai:NAME", "scripted:FILE".
struct ProviderConfig {
  std::string provider = "anthropic";  // anthropic | openai | scripted
  std::string anthropic_base_url = "https://api.anthropic.com";
  std::string anthropic_api_key;  // COVE_MODEL_API_KEY or ANTHROPIC_API_KEY
  // The variable whose value was not taken as the model key because it holds a cove API key
  // (see forget_cove_key): cove never sends its own keys to a model provider.
  std::string refused_key_variable;
  std::string openai_base_url = "http://127.0.0.1:8000/v1";
  std::string openai_api_key;
  // Scripts for the scripted provider: "scripted:NAME" reads scripts_dir/NAME (a plain file
  // name; no directories). With provider=scripted and no prefix, `script` is used.
  std::string scripts_dir;
  std::string script;
  // Whether "scripted:/abs/path" may name any file: only when the daemon's sole client is its
  // operator (the embedded daemon of `cove run`); `cove serve` reads scripts_dir only.
  bool allow_script_paths = false;
  // When set, every reply (of any provider) is appended to a script in this directory, one
  // file per session, that the scripted provider replays exactly.
  std::string record_dir;
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};
};

// Reads COVE_MODEL_PROVIDER, COVE_MODEL_BASE_URL, COVE_MODEL_API_KEY / ANTHROPIC_API_KEY,
// COVE_OPENAI_BASE_URL, COVE_OPENAI_API_KEY, COVE_MODEL_SCRIPTS_DIR, COVE_MODEL_SCRIPT and
// COVE_MODEL_RECORD_DIR into a config (empty variables count as unset). COVE_MODEL_SCRIPT
// without COVE_MODEL_PROVIDER selects the scripted provider. A model key that is a cove API
// key ("sk-cove-…") is not taken (forget_cove_key). ANTHROPIC_BASE_URL is deliberately not
// read: clients set it to point at cove itself.
ProviderConfig provider_config_from_env();

// Drops the Anthropic model key when it is a cove API key: one that starts "sk-cove-" or
// equals `daemon_key` (the key the daemon's own clients send). Clients hold their cove key in
// ANTHROPIC_API_KEY for the SDK; the daemon must never forward it upstream.
void forget_cove_key(ProviderConfig& config, const std::string& daemon_key = "");

// Why sessions whose agent uses `model_id` cannot get a model under this configuration (one
// line naming the setting and its fix), or nothing. An empty model_id checks the default
// provider (model ids without a prefix). Checks the provider's name, a scripted provider's
// script (read and parsed) and a key for the public Anthropic API; it sends no request.
std::optional<std::string> config_problem(const ProviderConfig& config,
                                          const std::string& model_id = "");

// What plays `model_id` under this configuration, for people: "script turns.json",
// "anthropic claude-sonnet-4-6 at https://api.anthropic.com", ...
std::string describe_model(const ProviderConfig& config, const std::string& model_id);

}  // namespace cove::models
