#include "mcp/types.hpp"

#include <gtest/gtest.h>

using namespace cove::mcp;

TEST(McpTypes, SupportedRevisions) {
  EXPECT_TRUE(is_supported_protocol_version("2025-11-25"));
  EXPECT_TRUE(is_supported_protocol_version("2025-03-26"));
  EXPECT_TRUE(is_supported_protocol_version("2024-11-05"));
  EXPECT_FALSE(is_supported_protocol_version("2026-07-28"));
  EXPECT_FALSE(is_supported_protocol_version(""));
}

TEST(McpTypes, ToolKeepsSchemaAsIs) {
  auto t = json::parse(R"({"name":"issue_write","description":"d","inputSchema":{"type":"object",
    "properties":{"method":{"enum":["create","update"]}},"required":["method"]},
    "annotations":{"readOnlyHint":false},"x-extra":1})")
               .get<Tool>();
  EXPECT_EQ(t.name, "issue_write");
  EXPECT_EQ(t.input_schema["required"][0], "method");
  EXPECT_EQ(t.annotations["readOnlyHint"], false);
  EXPECT_EQ(t.raw["x-extra"], 1);
  EXPECT_THROW(json::parse(R"({"description":"no name"})").get<Tool>(), std::invalid_argument);
}

TEST(McpTypes, ResultTextForEveryBlockType) {
  auto r = json::parse(R"({"content":[
    {"type":"text","text":"hi"},
    {"type":"image","data":"AAAA","mimeType":"image/png"},
    {"type":"audio","data":"AAAA","mimeType":"audio/wav"},
    {"type":"resource_link","uri":"file:///a","name":"a"},
    {"type":"resource","resource":{"uri":"file:///b","text":"body"}},
    {"type":"resource","resource":{"uri":"file:///c","mimeType":"application/zip","blob":"AAAA"}}],
    "isError":true,"structuredContent":{"k":1}})")
               .get<ToolResult>();
  EXPECT_TRUE(r.is_error);
  ASSERT_TRUE(r.structured_content);
  EXPECT_EQ(r.text(),
            "hi\n[image image/png, 3 bytes]\n[audio audio/wav, 3 bytes]\n[resource link file:///a "
            "(a)]\n[resource file:///b]\nbody\n[resource file:///c, application/zip blob]");
  auto only_structured =
      json::parse(R"({"content":[],"structuredContent":{"k":1}})").get<ToolResult>();
  EXPECT_EQ(only_structured.text(), R"({"k":1})");
}

TEST(McpTypes, ElicitationDefaults) {
  auto schema = json::parse(R"({"type":"object","properties":{
    "name":{"type":"string","default":"John Doe"},"age":{"type":"integer","default":30},
    "ok":{"type":"boolean","default":true},"free":{"type":"string"}}})");
  EXPECT_EQ(elicitation_defaults(schema), json::parse(R"({"name":"John Doe","age":30,"ok":true})"));
  EXPECT_EQ(elicitation_defaults(json::object()), json::object());
}
