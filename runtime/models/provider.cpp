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

// The file a model id "scripted:NAME" plays: NAME in the scripts directory, or an absolute
// path where the configuration allows paths.
std::filesystem::path script_for_name(const ProviderConfig& config, const std::string& name) {
  if (config.allow_script_paths && !name.empty() && name.front() == '/') return name;
  if (!name.empty() && name.front() == '/')
    throw invalid_argument("model id 'scripted:" + name +
                           "' names a path; this daemon reads scripts only from its scripts "
                           "directory (" +
                           config.scripts_dir + "): copy the file there and use 'scripted:NAME'");
  check_plain_name(name, "the script name in model id 'scripted:" + name + "'");
  if (config.scripts_dir.empty())
    throw invalid_argument("model id 'scripted:" + name +
                           "' needs a scripts directory; none is configured");
  return std::filesystem::path(config.scripts_dir) / name;
}

// The configured script: a bare name is looked up in the scripts directory; a path is taken
// as given (the operator's).
std::filesystem::path configured_script(const ProviderConfig& config) {
  if (config.script.empty())
    throw invalid_argument(
        "provider 'scripted' needs a script: set COVE_MODEL_SCRIPT or --model-script, or use a "
        "model id 'scripted:NAME'");
  std::filesystem::path file = config.script;
  if (config.script.find('/') == std::string::npos && !config.scripts_dir.empty())
    file = std::filesystem::path(config.scripts_dir) / config.script;
  return file;
}

std::unique_ptr<Provider> scripted_provider(const std::filesystem::path& file) {
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

std::string unknown_provider(const std::string& provider) {
  std::string known;
  for (std::string_view p : kProviders)
    known += (known.empty() ? "" : ", ") + std::string(p);
  return "unknown model provider '" + provider + "' (known: " + known + ")";
}

// The public Anthropic API needs a key; a model server on another URL may not.
std::optional<std::string> missing_key(const ProviderConfig& config, const std::string& provider) {
  if (provider != "anthropic" || !config.anthropic_api_key.empty() ||
      config.anthropic_base_url.find("api.anthropic.com") == std::string::npos)
    return std::nullopt;
  std::string why = "the daemon has no API key for the Anthropic API";
  if (!config.refused_key_variable.empty())
    why += " (" + config.refused_key_variable +
           " holds a cove API key, which cove never sends to a model provider)";
  return why +
         ": set ANTHROPIC_API_KEY or COVE_MODEL_API_KEY to an Anthropic key in the environment "
         "of the daemon (`cove serve`, or `cove run --embedded` itself), or use a scripted or "
         "openai model";
}

bool is_known(const std::string& provider) {
  for (std::string_view p : kProviders)
    if (provider == p) return true;
  return false;
}

}  // namespace

void forget_cove_key(ProviderConfig& config, const std::string& daemon_key) {
  const std::string& key = config.anthropic_api_key;
  if (key.empty() || (key.rfind("sk-cove-", 0) != 0 && key != daemon_key)) return;
  config.anthropic_api_key.clear();
  if (config.refused_key_variable.empty()) config.refused_key_variable = "the model key";
}

std::optional<std::string> config_problem(const ProviderConfig& config,
                                          const std::string& model_id) {
  std::string provider = provider_name(config, model_id);
  if (!is_known(provider)) return unknown_provider(provider);
  try {
    if (auto why = missing_key(config, provider)) return *why;
    if (provider == "scripted")
      load_script(prefix_provider(model_id) ? script_for_name(config, model_name(model_id))
                                            : configured_script(config));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

std::string describe_model(const ProviderConfig& config, const std::string& model_id) {
  std::string provider = provider_name(config, model_id);
  if (provider == "scripted") {
    std::string script = prefix_provider(model_id) ? model_name(model_id) : config.script;
    return "script " + std::filesystem::path(script).filename().string();
  }
  std::string url = provider_base_url(config, provider);
  return provider + " " + model_name(model_id) + (url.empty() ? "" : " at " + url);
}

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
    out = scripted_provider(prefixed ? script_for_name(config, model) : configured_script(config));
  } else {
    throw invalid_argument(unknown_provider(provider));
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
  for (const char* variable : {"COVE_MODEL_API_KEY", "ANTHROPIC_API_KEY"}) {
    config.anthropic_api_key = env(variable);
    forget_cove_key(config);
    if (config.anthropic_api_key.empty() && !env(variable).empty())
      config.refused_key_variable = variable;
    if (!config.anthropic_api_key.empty()) break;
  }
  if (auto v = env("COVE_OPENAI_BASE_URL"); !v.empty()) config.openai_base_url = v;
  if (auto v = env("COVE_OPENAI_API_KEY"); !v.empty()) config.openai_api_key = v;
  if (auto v = env("COVE_MODEL_SCRIPTS_DIR"); !v.empty()) config.scripts_dir = v;
  if (auto v = env("COVE_MODEL_SCRIPT"); !v.empty()) {
    config.script = v;
    if (env("COVE_MODEL_PROVIDER").empty()) config.provider = "scripted";
  }
  if (auto v = env("COVE_MODEL_RECORD_DIR"); !v.empty()) config.record_dir = v;
  return config;
}

}  // namespace cove::models
