// Choosing a provider for a model id (prefixes, scripts, recording) and reading the daemon's
// model settings from the environment.
#include "runtime/models/provider.hpp"

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "runtime/models/anthropic.hpp"
#include "runtime/models/openai.hpp"
#include "runtime/models/script.hpp"

namespace cove::models {

namespace {

using std::invalid_argument;

// The providers a model id's prefix or the configuration may name.
constexpr std::string_view kProviders[] = {"anthropic", "openai", "scripted"};

// A name that stays inside its directory: not empty, no '/', not "." or "..", no NUL.
void check_plain_name(const std::string& name, const std::string& what) {
  if (name.empty()) throw invalid_argument(what + " is empty");
  if (name.find('/') != std::string::npos || name == "." || name == ".." ||
      name.find('\0') != std::string::npos)
    throw invalid_argument(what + " '" + name +
                           "' must be a plain file name (no '/', not '.' or '..')");
}

std::unique_ptr<Provider> scripted_from_name(const ProviderConfig& config,
                                             const std::string& name) {
  check_plain_name(name, "script name in model id 'scripted:" + name + "'");
  if (config.scripts_dir.empty())
    throw invalid_argument("model id 'scripted:" + name +
                           "' needs a scripts directory; none is configured");
  auto file = std::filesystem::path(config.scripts_dir) / name;
  return make_scripted_provider(name, load_script(file));
}

std::unique_ptr<Provider> scripted_from_config(const ProviderConfig& config) {
  if (config.script.empty())
    throw invalid_argument(
        "provider 'scripted' needs a script: configure one, or use a model id 'scripted:NAME'");
  std::filesystem::path file = config.script;
  // A bare name is looked up in the scripts directory; a path is taken as given (operator's).
  if (config.script.find('/') == std::string::npos && !config.scripts_dir.empty())
    file = std::filesystem::path(config.scripts_dir) / config.script;
  return make_scripted_provider(file.filename().string(), load_script(file));
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The provider named by the model id's prefix, if it has one. Only these prefixes name
// providers: other colons belong to the model's name (Ollama's "qwen2.5:7b", Bedrock's
// "...-v1:0").
std::optional<std::string_view> prefix_provider(std::string_view model_id) {
  auto colon = model_id.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto prefix = model_id.substr(0, colon);
  for (std::string_view known : kProviders)
    if (prefix == known) return known;
  return std::nullopt;
}

}  // namespace

std::string model_name(const std::string& model_id) {
  if (auto prefix = prefix_provider(model_id)) return model_id.substr(prefix->size() + 1);
  return model_id;
}

std::string provider_name(const ProviderConfig& config, const std::string& model_id) {
  if (auto prefix = prefix_provider(model_id)) return std::string(*prefix);
  return config.provider;
}

std::string provider_base_url(const ProviderConfig& config, const std::string& provider) {
  if (provider == "anthropic") return config.anthropic_base_url;
  if (provider == "openai") return config.openai_base_url;
  return "";
}

std::unique_ptr<Provider> make_provider(boost::asio::any_io_executor executor,
                                        const ProviderConfig& config, const std::string& model_id,
                                        const std::string& session_id) {
  std::string provider = provider_name(config, model_id);
  std::string model = model_name(model_id);
  bool prefixed = prefix_provider(model_id).has_value();
  if (model.empty()) throw invalid_argument("model id '" + model_id + "' names no model");

  std::unique_ptr<Provider> out;
  if (provider == "anthropic") {
    out = make_anthropic_provider(executor, {config.anthropic_base_url, config.anthropic_api_key,
                                             model, config.request_timeout});
  } else if (provider == "openai") {
    out = make_openai_provider(
        executor, {config.openai_base_url, config.openai_api_key, model, config.request_timeout});
  } else if (provider == "scripted") {
    out = prefixed ? scripted_from_name(config, model) : scripted_from_config(config);
  } else {
    std::string known;
    for (std::string_view p : kProviders)
      known += (known.empty() ? "" : ", ") + std::string(p);
    throw invalid_argument("unknown model provider '" + provider + "' (known: " + known + ")");
  }

  if (!config.record_dir.empty()) {
    check_plain_name(session_id, "session id for the model recording");
    out = make_recording_provider(
        std::move(out), std::filesystem::path(config.record_dir) / (session_id + ".jsonl"));
  }
  return out;
}

ProviderConfig provider_config_from_env() {
  ProviderConfig config;
  if (auto v = env("COVE_MODEL_PROVIDER"); !v.empty()) config.provider = v;
  if (auto v = env("COVE_MODEL_BASE_URL"); !v.empty()) config.anthropic_base_url = v;
  if (auto v = env("COVE_MODEL_API_KEY"); !v.empty())
    config.anthropic_api_key = v;
  else if (auto k = env("ANTHROPIC_API_KEY"); !k.empty())
    config.anthropic_api_key = k;
  if (auto v = env("COVE_OPENAI_BASE_URL"); !v.empty()) config.openai_base_url = v;
  if (auto v = env("COVE_OPENAI_API_KEY"); !v.empty()) config.openai_api_key = v;
  if (auto v = env("COVE_MODEL_SCRIPTS_DIR"); !v.empty()) config.scripts_dir = v;
  if (auto v = env("COVE_MODEL_SCRIPT"); !v.empty()) config.script = v;
  if (auto v = env("COVE_MODEL_RECORD_DIR"); !v.empty()) config.record_dir = v;
  return config;
}

}  // namespace cove::models
