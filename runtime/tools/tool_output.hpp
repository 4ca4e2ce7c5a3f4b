// What a built-in tool answers, and the limits every tool result keeps to. Shared by the
// runtime and the file tools' server inside the sandbox (runtime/tools/server/).
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace cove::tools {

using json = nlohmann::json;

struct ToolOutput {
  json content = json::array();  // [{type:"text", text}]
  bool is_error = false;

  // One text block; never empty (the Messages API rejects empty text), always valid UTF-8.
  static ToolOutput text(std::string text, bool is_error = false);
};

struct ToolLimits {
  std::size_t max_output_bytes = 100 * 1024;  // bash and grep output
  std::size_t max_file_bytes = 256 * 1024;    // read and edit refuse larger files
  std::size_t max_glob_results = 200;
  std::chrono::milliseconds default_timeout{std::chrono::seconds(120)};  // bash
  std::chrono::milliseconds grep_timeout{std::chrono::seconds(60)};      // any one file tool call
};

}  // namespace cove::tools
