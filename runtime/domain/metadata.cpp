#include "runtime/domain/metadata.hpp"

namespace cove::domain {

namespace {

constexpr char kCode[] = "invalid_metadata";

void check_pair(const std::string& key, const json& value, const std::string& path,
                bool allow_null) {
  if (key.empty() || key.size() > 64) invalid(path, "keys must be 1-64 characters", kCode);
  if (value.is_null() && allow_null) return;
  if (!value.is_string())
    invalid(path + "." + key, std::string("must be a string, got ") + type_name(value), kCode);
  if (value.get_ref<const std::string&>().size() > 512)
    invalid(path + "." + key, "must be at most 512 characters", kCode);
}

}  // namespace

Metadata parse_metadata(const json& value, const std::string& path) {
  if (value.is_null()) return {};
  if (!value.is_object()) invalid(path, std::string("must be an object, got ") + type_name(value));
  if (value.size() > 16) invalid(path, "may have at most 16 pairs", kCode);
  Metadata out;
  for (const auto& [k, v] : value.items()) {
    check_pair(k, v, path, false);
    out[k] = v.get<std::string>();
  }
  return out;
}

Metadata patch_metadata(Metadata current, const json& patch, const std::string& path,
                        bool empty_deletes) {
  if (patch.is_null()) return {};
  if (!patch.is_object()) invalid(path, std::string("must be an object, got ") + type_name(patch));
  for (const auto& [k, v] : patch.items()) {
    check_pair(k, v, path, true);
    if (v.is_null() || (empty_deletes && v == ""))
      current.erase(k);
    else
      current[k] = v.get<std::string>();
  }
  if (current.size() > 16) invalid(path, "may have at most 16 pairs", kCode);
  return current;
}

}  // namespace cove::domain
