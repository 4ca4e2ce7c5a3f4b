#include "mcp/types.hpp"

namespace cove::mcp {
namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() ? *it : json();
}

}  // namespace

bool ServerInfo::tools_list_changed() const {
  auto tools = capabilities.find("tools");
  return tools != capabilities.end() && tools->is_object() &&
         tools->value("listChanged", false) == true;
}

void from_json(const json& j, Tool& tool) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    throw std::invalid_argument("tool without a name: " + j.dump().substr(0, 200));
  tool.name = j["name"].get<std::string>();
  tool.title = str(j, "title");
  tool.description = str(j, "description");
  tool.input_schema = field(j, "inputSchema");
  if (!tool.input_schema.is_object()) tool.input_schema = json{{"type", "object"}};
  tool.output_schema = field(j, "outputSchema");
  tool.annotations = field(j, "annotations");
  tool.raw = j;
}

void from_json(const json& j, Content& c) {
  if (!j.is_object()) throw std::invalid_argument("content block is not an object");
  c.raw = j;
  c.type = str(j, "type");
  c.text = str(j, "text");
  c.data = str(j, "data");
  c.mime_type = str(j, "mimeType");
  c.uri = str(j, "uri");
  c.name = str(j, "name");
  if (c.type == "resource") {
    const json res = field(j, "resource");
    if (res.is_object()) {
      c.uri = str(res, "uri");
      c.mime_type = str(res, "mimeType");
      c.text = str(res, "text");
      c.data = str(res, "blob");
    }
  }
}

void from_json(const json& j, ToolResult& r) {
  if (!j.is_object()) throw std::invalid_argument("tools/call result is not an object");
  r.raw = j;
  r.content.clear();
  if (auto it = j.find("content"); it != j.end() && it->is_array())
    for (const auto& block : *it)
      r.content.push_back(block.get<Content>());
  if (auto it = j.find("structuredContent"); it != j.end() && !it->is_null())
    r.structured_content = *it;
  r.is_error = j.value("isError", false) == true;
}

json elicitation_defaults(const json& requested_schema) {
  json content = json::object();
  auto props = requested_schema.find("properties");
  if (props == requested_schema.end() || !props->is_object()) return content;
  for (const auto& [name, schema] : props->items())
    if (schema.is_object() && schema.contains("default")) content[name] = schema["default"];
  return content;
}

std::string ToolResult::text() const {
  std::string out;
  auto add = [&out](const std::string& piece) {
    if (!out.empty()) out += '\n';
    out += piece;
  };
  for (const auto& c : content) {
    if (c.type == "text") {
      add(c.text);
    } else if (c.type == "image" || c.type == "audio") {
      add("[" + c.type + " " + c.mime_type + ", " + std::to_string(c.data.size() * 3 / 4) +
          " bytes]");
    } else if (c.type == "resource_link") {
      add("[resource link " + c.uri + (c.name.empty() ? "" : " (" + c.name + ")") + "]");
    } else if (c.type == "resource") {
      if (!c.data.empty() && c.text.empty())
        add("[resource " + c.uri + ", " + c.mime_type + " blob]");
      else
        add("[resource " + c.uri + "]\n" + c.text);
    } else {
      add("[" + c.type + " content]");
    }
  }
  if (content.empty() && structured_content) add(structured_content->dump());
  return out;
}

}  // namespace cove::mcp
