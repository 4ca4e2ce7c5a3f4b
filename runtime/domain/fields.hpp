// Reading request JSON field by field. Every helper throws FieldError naming the field's path
// ("resources[0].url is required"); nothing here guesses a default for a malformed value.
// Absent and null are the same for optional fields.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/domain/field_error.hpp"

namespace cove::domain {

using json = nlohmann::json;

// "a string", "an object", ... for messages.
const char* type_name(const json& value);
std::string join_path(const std::string& base, std::string_view key);
std::string index_path(const std::string& base, std::size_t index);

// `value` itself when it is an object ("request body" names the empty path).
const json& require_object(const json& value, const std::string& path);
// The member, or nullptr when absent. Null members are returned (callers decide).
const json* member(const json& object, std::string_view key);
// The member, or a null when absent.
const json& member_or_null(const json& object, std::string_view key);
std::string require_string(const json& object, std::string_view key, const std::string& path,
                           std::size_t min_len = 1, std::size_t max_len = 1u << 20);
// Absent or null → nullopt; a string → it; anything else → FieldError.
std::optional<std::string> optional_string(const json& object, std::string_view key,
                                           const std::string& path, std::size_t max_len = 1u << 20);
std::optional<bool> optional_bool(const json& object, std::string_view key,
                                  const std::string& path);
// Null → empty; otherwise an array whose every element is a string.
std::vector<std::string> string_list(const json& value, const std::string& path);

// A string, or null without one.
json or_null(const std::optional<std::string>& value);

}  // namespace cove::domain
