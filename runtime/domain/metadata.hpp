// Metadata: the string→string map every API object carries, with the API's limits (at most
// 16 pairs, keys 1-64 characters, values at most 512). Violations are FieldErrors with the
// code invalid_metadata.
#pragma once

#include <map>
#include <string>

#include "runtime/domain/fields.hpp"

namespace cove::domain {

using Metadata = std::map<std::string, std::string>;

// A metadata object from a request (null → empty).
Metadata parse_metadata(const json& value, const std::string& path);
// `current` after a patch: key→string upserts, key→null deletes, "" deletes when
// `empty_deletes`; a null patch clears everything.
Metadata patch_metadata(Metadata current, const json& patch, const std::string& path,
                        bool empty_deletes = false);

}  // namespace cove::domain
