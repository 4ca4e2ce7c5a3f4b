// Argument checks of the MCP tools (runtime/forge/tool_schemas.hpp) and the web pages' HTML
// escaping and diff rendering (runtime/forge/web.hpp).
#include <gtest/gtest.h>

#include "runtime/forge/tool_schemas.hpp"
#include "runtime/forge/web.hpp"

namespace cove::forge {
namespace {

using json = nlohmann::json;

const json& schema(const std::string& tool) {
  return (*tool_definition(tool))["inputSchema"];
}

TEST(ForgeToolArgs, EveryToolHasAnObjectSchema) {
  EXPECT_EQ(tool_definitions().size(), 17u);
  for (const auto& t : tool_definitions()) {
    EXPECT_EQ(t["inputSchema"]["type"], "object") << t["name"];
    for (const auto& r : t["inputSchema"]["required"])
      EXPECT_TRUE(t["inputSchema"]["properties"].contains(r)) << t["name"] << " " << r;
  }
  EXPECT_TRUE(tool_is_read_only("get_file_contents"));
  EXPECT_FALSE(tool_is_read_only("push_files"));
}

TEST(ForgeToolArgs, MessagesNameTheParameter) {
  auto check = [](const std::string& tool, const json& args) {
    return validate_arguments(schema(tool), args).value_or("ok");
  };
  EXPECT_EQ(check("get_file_contents", {{"owner", "a"}, {"repo", "b"}}), "ok");
  EXPECT_EQ(check("get_file_contents", {{"owner", "a"}}), "missing required parameter: repo");
  EXPECT_EQ(check("get_file_contents", {{"owner", ""}, {"repo", "b"}}),
            "missing required parameter: owner");
  EXPECT_EQ(check("get_file_contents", {{"owner", 1}, {"repo", "b"}}),
            "parameter owner is not of type string, is integer");
  EXPECT_EQ(check("list_branches", {{"owner", "a"}, {"repo", "b"}, {"page", 0}}),
            "parameter page must be at least 1");
  EXPECT_EQ(check("pull_request_read",
                  {{"owner", "a"}, {"repo", "b"}, {"pullNumber", 1}, {"method", "x"}})
                .substr(0, 35),
            "parameter method must be one of: ge");
  EXPECT_EQ(check("push_files", {{"owner", "a"},
                                 {"repo", "b"},
                                 {"branch", "c"},
                                 {"message", "m"},
                                 {"files", {{{"path", "p"}, {"content", ""}, {"mode", 1}}}}}),
            "parameter files[0] has unknown property 'mode'");
  EXPECT_EQ(check("push_files", {{"owner", "a"},
                                 {"repo", "b"},
                                 {"branch", "c"},
                                 {"message", "m"},
                                 {"files", {{{"path", "p"}, {"content", ""}}}}}),
            "ok");  // an empty file is fine
  EXPECT_EQ(check("issue_write",
                  {{"owner", "a"}, {"repo", "b"}, {"method", "create"}, {"type", nullptr}}),
            "ok");
  EXPECT_EQ(check("add_issue_comment",
                  {{"owner", "a"}, {"repo", "b"}, {"issue_number", 1}, {"body", ""}}),
            "parameter body must not be empty");
}

TEST(ForgeToolArgs, IntegersAreWholeNumbers) {
  EXPECT_EQ(int_arg(json{{"n", 3.0}}, "n", 0), 3);
  EXPECT_EQ(int_arg(json::object(), "n", 7), 7);
  EXPECT_THROW(int_arg(json{{"n", 1.5}}, "n", 0), std::invalid_argument);
  EXPECT_THROW(int_arg(json{{"n", 1e12}}, "n", 0), std::invalid_argument);
  EXPECT_THROW(int_arg(json{{"n", "3"}}, "n", 0), std::invalid_argument);
}

TEST(ForgeWeb, EscapesEverything) {
  EXPECT_EQ(html_escape(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(ForgeWeb, DiffLinesAreClassedAndEscaped) {
  auto html =
      diff_to_html("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-<old>\n+<new>\n context\n");
  EXPECT_NE(html.find("<span class=meta>diff --git a/x b/x</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=hunk>@@ -1 +1 @@</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=del>-&lt;old&gt;</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=add>+&lt;new&gt;</span>"), std::string::npos);
  EXPECT_NE(html.find(" context\n"), std::string::npos);
  EXPECT_EQ(html.find("<old>"), std::string::npos);
}

}  // namespace
}  // namespace cove::forge
