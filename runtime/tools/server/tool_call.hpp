// How a file tool call is read and answered inside the tools' server: input fields checked
// with errors that name the field, and every failure turned into an error result.
#pragma once

#include <exception>
#include <optional>
#include <string>

#include "runtime/tools/server/fs.hpp"
#include "runtime/tools/tool_output.hpp"

namespace cove::tools::call {

inline std::optional<std::string> optional_string(const json& input, const char* field) {
  if (!input.is_object() || !input.contains(field) || input[field].is_null()) return std::nullopt;
  if (!input[field].is_string()) throw ToolError(std::string(field) + " must be a string");
  return input[field].get<std::string>();
}

inline std::string required_string(const json& input, const char* field) {
  auto value = optional_string(input, field);
  if (!value) throw ToolError(std::string(field) + " is required (a string)");
  return *value;
}

inline bool optional_bool(const json& input, const char* field) {
  if (!input.is_object() || !input.contains(field) || input[field].is_null()) return false;
  if (!input[field].is_boolean()) throw ToolError(std::string(field) + " must be true or false");
  return input[field].get<bool>();
}

// Runs `work` (returning the result); its errors become is_error results.
template <class Work>
ToolOutput answer(Work&& work) {
  try {
    return work();
  } catch (const ToolError& e) {
    return ToolOutput::text(e.what(), true);
  } catch (const std::exception& e) {
    return ToolOutput::text(std::string("internal error: ") + e.what(), true);
  }
}

}  // namespace cove::tools::call
