// mcp::Client against @modelcontextprotocol/server-everything (streamable HTTP and legacy SSE).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mcp/client.hpp"
#include "net/block_on.hpp"
#include "tests/mcp/mcp_peers.hpp"

using namespace cove::mcp;
using cove::net::block_on;
using cove::test::NodePeer;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<NodePeer> everything;

class Everything : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { everything = cove::test::start_everything("streamableHttp"); }
  static void TearDownTestSuite() { everything.reset(); }

  std::unique_ptr<Client> make(ServerConfig cfg = {}) {
    cfg.name = "everything";
    cfg.url = everything->url("/mcp");
    return std::make_unique<Client>(ctx.get_executor(), cfg);
  }
  std::unique_ptr<Client> connected(ServerConfig cfg = {}) {
    auto c = make(std::move(cfg));
    block_on(ctx, c->connect());
    return c;
  }
  ToolResult call(Client& c, std::string tool, json args, CallOptions opts = {}) {
    return block_on(ctx, c.call_tool(std::move(tool), std::move(args), std::move(opts)));
  }

  boost::asio::io_context ctx;
};

TEST_F(Everything, InitializeNegotiatesLatestAndKeepsSession) {
  auto c = connected();
  EXPECT_EQ(c->server().protocol_version, "2025-11-25");
  EXPECT_EQ(c->server().implementation.name, "mcp-servers/everything");
  EXPECT_FALSE(c->server().instructions.empty());
  EXPECT_TRUE(c->server().tools_list_changed());
  EXPECT_FALSE(c->session_id().empty());
  EXPECT_FALSE(c->server().legacy_sse_transport);
  block_on(ctx, c->ping());
  block_on(ctx, c->close());
  EXPECT_TRUE(c->session_id().empty());
}

TEST_F(Everything, OlderRevisionIsAccepted) {
  ServerConfig cfg;
  cfg.protocol_version = "2025-03-26";
  auto c = connected(cfg);
  EXPECT_EQ(c->server().protocol_version, "2025-03-26");
  EXPECT_EQ(call(*c, "echo", {{"message", "old"}}).text(), "Echo: old");
}

TEST_F(Everything, UnknownRevisionAnsweredWithLatest) {
  ServerConfig cfg;
  cfg.protocol_version = "2099-01-01";
  auto c = connected(cfg);
  EXPECT_EQ(c->server().protocol_version, "2025-11-25");
}

TEST_F(Everything, ListsEveryTool) {
  auto c = connected();
  auto tools = block_on(ctx, c->list_tools());
  ASSERT_GE(tools.size(), 13u);
  bool echo = false;
  for (const auto& t : tools) {
    if (t.name != "echo") continue;
    echo = true;
    EXPECT_EQ(t.input_schema["properties"]["message"]["type"], "string");
    EXPECT_EQ(t.annotations["readOnlyHint"], true);
  }
  EXPECT_TRUE(echo);
}

TEST_F(Everything, TextImageResourceLinkAndStructuredContent) {
  auto c = connected();
  EXPECT_EQ(call(*c, "echo", {{"message", "hello"}}).text(), "Echo: hello");

  auto image = call(*c, "get-tiny-image", json::object());
  bool saw_image = false;
  for (const auto& b : image.content)
    if (b.type == "image") {
      saw_image = true;
      EXPECT_EQ(b.mime_type, "image/png");
      EXPECT_EQ(b.data.substr(0, 8), "iVBORw0K");
    }
  EXPECT_TRUE(saw_image);

  auto res = call(*c, "get-resource-reference", {{"resourceType", "Text"}, {"resourceId", 2}});
  bool saw_resource = false;
  for (const auto& b : res.content)
    if (b.type == "resource") {
      saw_resource = true;
      EXPECT_EQ(b.uri, "demo://resource/dynamic/text/2");
      EXPECT_NE(b.text.find("Resource 2"), std::string::npos);
    }
  EXPECT_TRUE(saw_resource);

  auto links = call(*c, "get-resource-links", {{"count", 2}});
  int link_count = 0;
  for (const auto& b : links.content)
    if (b.type == "resource_link") {
      ++link_count;
      EXPECT_FALSE(b.uri.empty());
    }
  EXPECT_EQ(link_count, 2);

  auto structured = call(*c, "get-structured-content", {{"location", "New York"}});
  ASSERT_TRUE(structured.structured_content.has_value());
  EXPECT_EQ((*structured.structured_content)["temperature"], 33);
  EXPECT_FALSE(structured.is_error);
}

TEST_F(Everything, ToolErrorsAndProtocolErrors) {
  auto c = connected();
  auto bad = call(*c, "get-resource-reference", {{"resourceType", "text"}, {"resourceId", 1}});
  EXPECT_TRUE(bad.is_error);
  auto missing = call(*c, "no-such-tool", json::object());
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text().find("no-such-tool"), std::string::npos);
  try {
    block_on(ctx, c->request("foo/bar", json::object()));
    FAIL() << "unknown method accepted";
  } catch (const McpError& e) {
    EXPECT_EQ(e.kind(), McpError::Kind::protocol);
    EXPECT_EQ(e.code(), -32601);
    EXPECT_NE(std::string(e.what()).find("foo/bar"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("everything"), std::string::npos);
  }
}

TEST_F(Everything, ProgressArrivesBeforeTheResult) {
  auto c = connected();
  std::vector<Progress> seen;
  CallOptions opts;
  opts.on_progress = [&](const Progress& p) { seen.push_back(p); };
  auto r = call(*c, "trigger-long-running-operation", {{"duration", 1}, {"steps", 4}}, opts);
  EXPECT_NE(r.text().find("completed"), std::string::npos);
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].progress, static_cast<double>(i + 1));
    EXPECT_EQ(seen[i].total.value_or(0), 4.0);
  }
}

TEST_F(Everything, TimeoutCancelsAndClientStaysUsable) {
  auto c = connected();
  CallOptions opts;
  opts.timeout = 600ms;
  auto start = std::chrono::steady_clock::now();
  try {
    call(*c, "trigger-long-running-operation", {{"duration", 5}, {"steps", 5}}, opts);
    FAIL() << "no timeout";
  } catch (const McpError& e) {
    EXPECT_EQ(e.kind(), McpError::Kind::timeout);
    EXPECT_NE(std::string(e.what()).find("tools/call timed out after 600 ms"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(call(*c, "echo", {{"message", "still here"}}).text(), "Echo: still here");
}

TEST_F(Everything, StopTokenCancelsAStreamLeftOpen) {
  auto c = connected();
  std::stop_source stop;
  CallOptions opts;
  opts.stop = stop.get_token();
  int progress = 0;
  opts.on_progress = [&](const Progress&) {
    if (++progress == 2) stop.request_stop();
  };
  auto start = std::chrono::steady_clock::now();
  try {
    call(*c, "trigger-long-running-operation", {{"duration", 6}, {"steps", 6}}, opts);
    FAIL() << "not cancelled";
  } catch (const McpError& e) {
    EXPECT_EQ(e.kind(), McpError::Kind::cancelled);
  }
  // The server keeps that stream open after notifications/cancelled: we must not wait for it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(progress, 2);
  EXPECT_EQ(call(*c, "echo", {{"message", "after"}}).text(), "Echo: after");
}

Task<void> slow_call(Client* c, std::string* text, bool* done) {
  json args = {{"duration", 1}, {"steps", 2}};
  std::string tool = "trigger-long-running-operation";  // g++ 12: no literals in co_await
  auto r = co_await c->call_tool(tool, args);
  *text = r.text();
  *done = true;
}

TEST_F(Everything, SilentStreamIsResumedWithLastEventId) {
  // Steps 1.2 s apart with a 0.7 s idle limit: the reply stream is given up between steps and
  // resumed by GET with Last-Event-ID; the server replays what was missed, then the result.
  ServerConfig cfg;
  cfg.stream_idle_timeout = 700ms;
  cfg.max_resume_attempts = 5;
  auto c = connected(cfg);
  std::vector<double> seen;
  CallOptions opts;
  opts.on_progress = [&](const Progress& p) { seen.push_back(p.progress); };
  auto r = call(*c, "trigger-long-running-operation", {{"duration", 2.4}, {"steps", 2}}, opts);
  EXPECT_NE(r.text().find("completed"), std::string::npos);
  EXPECT_EQ(seen, (std::vector<double>{1, 2}));
}

TEST_F(Everything, ConcurrentCallsOnOneClient) {
  auto c = connected();
  auto both = [&]() -> Task<std::pair<std::string, std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    std::string slow_text;
    bool slow_done = false;
    boost::asio::co_spawn(ex, slow_call(c.get(), &slow_text, &slow_done), boost::asio::detached);
    std::string tool = "echo";
    json args = {{"message", "fast"}};
    auto fast = co_await c->call_tool(tool, args);
    std::string fast_text = fast.text();
    EXPECT_FALSE(slow_done);  // the echo answered while the slow call was running
    boost::asio::steady_timer t(ex);
    while (!slow_done) {
      t.expires_after(20ms);
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    co_return std::pair{fast_text, slow_text};
  };
  auto [fast, slow] = block_on(ctx, both());
  EXPECT_EQ(fast, "Echo: fast");
  EXPECT_NE(slow.find("completed"), std::string::npos);
}

TEST(EverythingLegacySse, FallsBackToHttpPlusSse) {
  auto peer = cove::test::start_everything("sse");
  boost::asio::io_context ctx;
  ServerConfig cfg;
  cfg.url = peer->url("/sse");
  Client c(ctx.get_executor(), cfg);
  auto info = block_on(ctx, c.connect());
  EXPECT_TRUE(info.legacy_sse_transport);
  EXPECT_TRUE(is_supported_protocol_version(info.protocol_version));
  EXPECT_GE(block_on(ctx, c.list_tools()).size(), 13u);
  EXPECT_EQ(block_on(ctx, c.call_tool("echo", {{"message", "old transport"}})).text(),
            "Echo: old transport");
  std::vector<Progress> seen;
  CallOptions opts;
  opts.on_progress = [&](const Progress& p) { seen.push_back(p); };
  block_on(ctx,
           c.call_tool("trigger-long-running-operation", {{"duration", 1}, {"steps", 2}}, opts));
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
