// Request-edge helpers: query strings, cursors, validation messages, SSE framing.
#include <gtest/gtest.h>

#include "net/sse_writer.hpp"
#include "runtime/api/error.hpp"
#include "runtime/api/query.hpp"
#include "runtime/api/server.hpp"
#include "runtime/api/unsupported.hpp"
#include "runtime/api/validation.hpp"

using namespace cove::api;

TEST(QueryString, BracketAndRepeatedArrays) {
  Query q(
      "types%5B%5D=user.message&types[]=agent.message&statuses=idle&statuses=running&beta=true");
  EXPECT_EQ(q.all("types"), (std::vector<std::string>{"user.message", "agent.message"}));
  EXPECT_EQ(q.all("statuses").size(), 2u);
  EXPECT_EQ(q.boolean("beta"), true);
  EXPECT_THROW(Query("limit=abc").limit(20, 100), ApiError);
  EXPECT_THROW(Query("limit=0").limit(20, 100), ApiError);
  EXPECT_EQ(Query("").limit(20, 100), 20);
}

TEST(Cursor, RemembersItsOrder) {
  EXPECT_EQ(read_cursor(make_cursor(42, true), true), 42);
  EXPECT_THROW(read_cursor(make_cursor(42, true), false), ApiError);
  EXPECT_THROW(read_cursor("garbage", false), ApiError);
}

TEST(Validation, MessagesNameTheField) {
  nlohmann::json body = {{"name", 5}};
  try {
    require_string(body, "name", "resources[0]");
    FAIL();
  } catch (const cove::domain::FieldError& e) {
    EXPECT_EQ(e.path, "resources[0].name");
    EXPECT_STREQ(e.what(), "resources[0].name must be a string, got a number");
  }
  EXPECT_THROW(metadata_value({{"k", 1}}, "metadata"), cove::domain::FieldError);
  auto patched = patch_metadata({{"a", "1"}, {"b", "2"}}, {{"a", nullptr}, {"c", "3"}}, "metadata");
  EXPECT_EQ(patched, (nlohmann::json{{"b", "2"}, {"c", "3"}}));
}

TEST(Secrets, ConstantTimeCompare) {
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abc", "abd"));
  EXPECT_FALSE(same_secret("abc", "abcd"));
  EXPECT_FALSE(same_secret("", "x"));
}

TEST(SseFrame, OneFramePerEventWithId) {
  EXPECT_EQ(cove::net::sse_frame("user.message", R"({"a":1})", "7"),
            "id: 7\nevent: user.message\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(cove::net::sse_frame("x", "a\nb"), "event: x\ndata: a\ndata: b\n\n");
  EXPECT_EQ(cove::net::sse_comment("ping"), ": ping\n\n");
}

TEST(UnsupportedEndpoint, NamesTheFeatureCoveLacks) {
  auto files = unsupported_endpoint("POST", "/v1/files");
  ASSERT_TRUE(files);
  EXPECT_EQ(*files,
            "cove does not implement the Files API (POST /v1/files); docs/api.md lists the "
            "endpoints cove serves");
  EXPECT_TRUE(unsupported_endpoint("GET", "/v1/skills/skill_1/versions/3/content"));
  EXPECT_TRUE(unsupported_endpoint("GET", "/v1/sessions/sesn_1/threads"));
  EXPECT_TRUE(unsupported_endpoint("GET", "/v1/environments/env_1/work/poll"));
  EXPECT_TRUE(unsupported_endpoint("POST", "/v1/vaults/v_1/credentials/c_1/mcp_oauth_validate"));
}

TEST(UnsupportedEndpoint, LeavesServedAndUnknownPathsAlone) {
  EXPECT_FALSE(unsupported_endpoint("GET", "/v1/sessions/sesn_1/events"));
  EXPECT_FALSE(unsupported_endpoint("GET", "/v1/sessions"));
  EXPECT_FALSE(unsupported_endpoint("GET", "/v1/filesystem"));  // a prefix of a segment only
  EXPECT_FALSE(unsupported_endpoint("GET", "/v1/sessions//threads"));
  EXPECT_FALSE(unsupported_endpoint("GET", "/v2/files"));
}
