#include "runtime/api/validation.hpp"

#include "runtime/domain/metadata.hpp"

namespace cove::api {

json metadata_value(const json& value, const std::string& path) {
  return domain::parse_metadata(value, path);
}

json patch_metadata(const json& current, const json& patch, const std::string& path,
                    bool empty_deletes) {
  auto base = current.is_object() ? current.get<domain::Metadata>() : domain::Metadata{};
  return domain::patch_metadata(std::move(base), patch, path, empty_deletes);
}

}  // namespace cove::api
