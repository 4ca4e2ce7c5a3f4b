// The GitHub MCP tools the forge offers (names, input schemas, annotations), and the checks
// of tool arguments against those schemas with GitHub-like messages naming the parameter.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cove::forge {

// The tools/list entries, in a stable order.
const nlohmann::json& tool_definitions();
// One entry by name; null when unknown.
const nlohmann::json* tool_definition(const std::string& name);
bool tool_is_read_only(const std::string& name);

// The first problem of `arguments` against `schema` (the JSON Schema subset the tools use:
// type, required, properties, items, enum, minimum, maximum, minLength, anyOf,
// additionalProperties), e.g. "missing required parameter: owner" or "parameter page is not of
// type number, is string". nullopt when the arguments fit.
std::optional<std::string> validate_arguments(const nlohmann::json& schema,
                                              const nlohmann::json& arguments);

// Typed access to validated arguments. int_arg checks that a number is a whole number in
// range and throws std::invalid_argument naming the parameter otherwise.
std::string str_arg(const nlohmann::json& args, const std::string& name,
                    const std::string& fallback = "");
std::optional<std::string> opt_str_arg(const nlohmann::json& args, const std::string& name);
int int_arg(const nlohmann::json& args, const std::string& name, int fallback);
std::optional<bool> opt_bool_arg(const nlohmann::json& args, const std::string& name);
std::vector<std::string> list_arg(const nlohmann::json& args, const std::string& name);

}  // namespace cove::forge
