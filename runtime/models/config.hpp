// How the daemon reaches models: the provider configuration, kept apart from provider.hpp so
// that code which only passes it along (the API server, the CLI) does not compile Asio.
#pragma once

#include <chrono>
#include <string>

namespace cove::models {

// How the daemon reaches models. An agent's model id may carry a provider prefix that
// overrides `provider` for that agent: "anthropic:NAME", "openai:NAME", "scripted:FILE".
struct ProviderConfig {
  std::string provider = "anthropic";  // anthropic | openai | scripted
  std::string anthropic_base_url = "https://api.anthropic.com";
  std::string anthropic_api_key;  // COVE_MODEL_API_KEY or ANTHROPIC_API_KEY
  std::string openai_base_url = "http://127.0.0.1:8000/v1";
  std::string openai_api_key;
  // Scripts for the scripted provider: "scripted:NAME" reads scripts_dir/NAME (a plain file
  // name; no directories). With provider=scripted and no prefix, `script` is used.
  std::string scripts_dir;
  std::string script;
  // When set, every reply (of any provider) is appended to a script in this directory, one
  // file per session, that the scripted provider replays exactly.
  std::string record_dir;
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};
};

// Reads COVE_MODEL_PROVIDER, COVE_MODEL_BASE_URL, COVE_MODEL_API_KEY / ANTHROPIC_API_KEY,
// COVE_OPENAI_BASE_URL, COVE_OPENAI_API_KEY, COVE_MODEL_SCRIPTS_DIR, COVE_MODEL_SCRIPT and
// COVE_MODEL_RECORD_DIR into a config (empty variables count as unset). ANTHROPIC_BASE_URL is
// deliberately not read: clients set it to point at cove itself.
ProviderConfig provider_config_from_env();

}  // namespace cove::models
