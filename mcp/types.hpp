// MCP data types the client hands to its callers: server description, tools, tool results.
// Each has from_json next to it; unknown fields are kept in `raw`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/versions.hpp"

namespace cove::mcp {

using json = nlohmann::json;

struct Implementation {
  std::string name;
  std::string version;
  std::string title;
};

// What initialize told us about the server.
struct ServerInfo {
  std::string protocol_version;
  Implementation implementation;
  json capabilities = json::object();
  std::string instructions;
  bool legacy_sse_transport = false;  // reached over the 2024-11-05 HTTP+SSE transport

  bool tools_list_changed() const;
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json input_schema = json::object();  // passed to the model as-is
  json output_schema;                  // null when absent
  json annotations;                    // readOnlyHint, destructiveHint, … (null when absent)
  json raw;
};
void from_json(const json& j, Tool& tool);

// One content block of a tool result: text, image, audio, resource_link or resource.
struct Content {
  std::string type;
  std::string text;       // text; resource with text
  std::string data;       // image/audio base64; resource blob base64
  std::string mime_type;  // image, audio, resource, resource_link
  std::string uri;        // resource, resource_link
  std::string name;       // resource_link
  json raw;
};
void from_json(const json& j, Content& content);

struct ToolResult {
  std::vector<Content> content;
  std::optional<json> structured_content;
  bool is_error = false;  // a tool-level failure: the model should see it and correct itself
  json raw;

  // Human- and model-readable text of the whole result: text blocks as-is, a one-line note
  // for binary blocks, embedded resource text, links as their URI.
  std::string text() const;
};
void from_json(const json& j, ToolResult& result);

// The form an elicitation's requestedSchema describes, filled with each property's default
// (properties without one are left out).
json elicitation_defaults(const json& requested_schema);

struct Progress {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};

}  // namespace cove::mcp
