// Request validation at the API's edge: the domain's field readers (each throws a
// domain::FieldError naming the field, e.g. "resources[0].url is required", answered as a 400)
// and the metadata rules shared by every object.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/domain/fields.hpp"

namespace cove::api {

using json = nlohmann::json;

using domain::index_path;
using domain::join_path;
using domain::member;
using domain::optional_bool;
using domain::optional_string;
using domain::require_object;
using domain::require_string;
// A string→string map with the API's metadata limits.
json metadata_value(const json& value, const std::string& path);
// Applies a metadata patch (key→string upserts, key→null deletes; "" deletes when
// empty_deletes) to `current`.
json patch_metadata(const json& current, const json& patch, const std::string& path,
                    bool empty_deletes = false);

}  // namespace cove::api
