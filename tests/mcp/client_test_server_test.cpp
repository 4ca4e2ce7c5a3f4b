// mcp::Client against tests/mcp/test_server.mjs: pagination, bearer auth, stateless and
// JSON-reply modes, session expiry, list_changed and a reply stream closed mid-call.
#include <gtest/gtest.h>

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

class TestServer : public ::testing::Test {
 protected:
  void start(std::vector<std::string> env) { peer = cove::test::start_test_server(std::move(env)); }
  std::unique_ptr<Client> make(ServerConfig cfg = {}) {
    cfg.name = "test";
    cfg.url = peer->url("/mcp");
    return std::make_unique<Client>(ctx.get_executor(), cfg);
  }
  std::unique_ptr<Client> connected(ServerConfig cfg = {}) {
    auto c = make(std::move(cfg));
    block_on(ctx, c->connect());
    return c;
  }
  ToolResult call(Client& c, std::string tool, json args = json::object(), CallOptions o = {}) {
    return block_on(ctx, c.call_tool(std::move(tool), std::move(args), std::move(o)));
  }
  // Runs the io_context until `done()` or the time is up.
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto wait = [&]() -> Task<void> {
      boost::asio::steady_timer t(ctx);
      auto end = std::chrono::steady_clock::now() + limit;
      while (!done() && std::chrono::steady_clock::now() < end) {
        t.expires_after(20ms);
        co_await t.async_wait(boost::asio::use_awaitable);
      }
    };
    block_on(ctx, wait());
  }

  std::unique_ptr<NodePeer> peer;
  boost::asio::io_context ctx;
};

TEST_F(TestServer, FollowsCursorsAcrossPages) {
  start({"PAGE=3"});
  auto c = connected();
  auto first = block_on(ctx, c->list_tools_page(std::nullopt));
  EXPECT_EQ(first.tools.size(), 3u);
  ASSERT_TRUE(first.next_cursor.has_value());
  auto all = block_on(ctx, c->list_tools());
  ASSERT_EQ(all.size(), 11u);  // 4 pages of 3, 3, 3 and 2
  EXPECT_EQ(all.front().name, "add");
  EXPECT_EQ(all.back().name, "ping_client");
  EXPECT_EQ(all.front().output_schema["properties"]["sum"]["type"], "number");
  try {
    block_on(ctx, c->list_tools_page(std::string("bm9wZQ==")));
    FAIL() << "bad cursor accepted";
  } catch (const McpError& e) {
    EXPECT_EQ(e.code(), -32602);
  }
}

TEST_F(TestServer, EveryContentType) {
  start({});
  auto c = connected();
  auto add = call(*c, "add", {{"a", 2}, {"b", 3}});
  EXPECT_EQ((*add.structured_content)["sum"], 5);
  EXPECT_EQ(add.text(), R"({"sum":5})");
  auto fail = call(*c, "fail");
  EXPECT_TRUE(fail.is_error);
  EXPECT_EQ(fail.text(), "this tool always fails");
  auto image = call(*c, "image");
  ASSERT_EQ(image.content.size(), 1u);
  EXPECT_EQ(image.content[0].type, "image");
  EXPECT_EQ(image.content[0].mime_type, "image/png");
  auto link = call(*c, "link");
  ASSERT_EQ(link.content.size(), 2u);
  EXPECT_EQ(link.content[0].type, "resource_link");
  EXPECT_EQ(link.content[0].name, "doc-1");
  EXPECT_EQ(link.content[1].type, "resource");
  EXPECT_EQ(link.content[1].text, "hello");
  auto audio = call(*c, "audio");
  ASSERT_EQ(audio.content.size(), 2u);
  EXPECT_EQ(audio.content[0].type, "audio");
  EXPECT_EQ(audio.content[0].mime_type, "audio/wav");
  EXPECT_EQ(audio.content[1].data, "AAEC");
  EXPECT_NE(audio.text().find("blob"), std::string::npos);
  try {
    call(*c, "no-such-tool");
    FAIL();
  } catch (const McpError& e) {
    EXPECT_EQ(e.kind(), McpError::Kind::protocol);
    EXPECT_EQ(e.code(), -32602);
  }
}

TEST_F(TestServer, SendsNegotiatedVersionAndSessionOnLaterRequests) {
  start({});
  auto c = connected();
  auto seen = json::parse(call(*c, "whoami").text());
  EXPECT_EQ(seen["mcp-protocol-version"], "2025-11-25");
  EXPECT_EQ(seen["has-session"], true);
}

TEST_F(TestServer, MissingTokenIs401NamingTheServer) {
  start({"TOKEN=s3cret-token"});
  auto c = make();
  try {
    block_on(ctx, c->connect());
    FAIL() << "no auth error";
  } catch (const McpError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.kind(), McpError::Kind::auth);
    EXPECT_EQ(e.code(), 401);
    EXPECT_NE(what.find("MCP server 'test'"), std::string::npos) << what;
    EXPECT_NE(what.find("401"), std::string::npos) << what;
    EXPECT_NE(what.find("resource_metadata"), std::string::npos) << what;
  }
}

TEST_F(TestServer, WrongTokenIsNeverEchoed) {
  start({"TOKEN=s3cret-token"});
  ServerConfig cfg;
  cfg.bearer_token = "wrong-token-value";
  auto c = make(cfg);
  try {
    block_on(ctx, c->connect());
    FAIL();
  } catch (const McpError& e) {
    EXPECT_EQ(e.kind(), McpError::Kind::auth);
    EXPECT_EQ(std::string(e.what()).find("wrong-token-value"), std::string::npos);
  }
}

TEST_F(TestServer, InsufficientScopeIs403) {
  start({"TOKEN=s3cret-token"});
  ServerConfig cfg;
  cfg.bearer_token = "readonly";
  auto c = make(cfg);
  try {
    block_on(ctx, c->connect());
    FAIL();
  } catch (const McpError& e) {
    EXPECT_EQ(e.code(), 403);
    EXPECT_NE(std::string(e.what()).find("insufficient_scope"), std::string::npos) << e.what();
  }
}

TEST_F(TestServer, TokenOnEveryRequestIncludingEventStream) {
  start({"TOKEN=s3cret-token"});
  ServerConfig cfg;
  cfg.bearer_token = "s3cret-token";
  auto c = connected(cfg);
  bool changed = false;
  c->on_tools_changed([&] { changed = true; });
  EXPECT_EQ(call(*c, "add", {{"a", 1}, {"b", 1}}).text(), R"({"sum":2})");
  call(*c, "grow");  // list_changed comes on the (authenticated) GET stream
  run_until([&] { return changed; }, 3s);
  EXPECT_TRUE(changed);
}

TEST_F(TestServer, ListChangedThenRelist) {
  start({"PAGE=4"});
  auto c = connected();
  int changes = 0;
  c->on_tools_changed([&] { ++changes; });
  auto before = block_on(ctx, c->list_tools()).size();
  call(*c, "grow");
  run_until([&] { return changes > 0; }, 3s);
  ASSERT_EQ(changes, 1);
  auto after = block_on(ctx, c->list_tools());
  EXPECT_EQ(after.size(), before + 1);
  EXPECT_EQ(call(*c, after.back().name).text(), after.back().name);
}

TEST_F(TestServer, StatelessJsonServer) {
  start({"MODE=stateless", "JSON=1"});
  auto c = connected();
  EXPECT_TRUE(c->session_id().empty());
  EXPECT_EQ(block_on(ctx, c->list_tools()).size(), 11u);
  EXPECT_EQ(call(*c, "add", {{"a", 20}, {"b", 22}}).text(), R"({"sum":42})");
  block_on(ctx, c->close());
}

TEST_F(TestServer, StatelessSseServerWithProgress) {
  start({"MODE=stateless"});
  auto c = connected();
  EXPECT_TRUE(c->session_id().empty());
  int progress = 0;
  CallOptions o;
  o.on_progress = [&](const Progress& p) {
    ++progress;
    EXPECT_EQ(p.message, "step " + std::to_string(progress));
  };
  EXPECT_EQ(call(*c, "slow", {{"steps", 3}}, o).text(), "done after 3 steps");
  EXPECT_EQ(progress, 3);
}

TEST_F(TestServer, AnswersServerPingDuringACall) {
  start({});
  auto c = connected();
  EXPECT_EQ(call(*c, "ping_client").text(), "client answered ping: {}");
}

TEST_F(TestServer, GithubLikeStatelessServerWithoutGetOrDelete) {
  start({"MODE=stateless", "POST_ONLY=1"});
  auto c = connected();  // the event stream GET gets 405: carry on without it
  EXPECT_TRUE(c->session_id().empty());
  EXPECT_EQ(call(*c, "add", {{"a", 1}, {"b", 1}}).text(), R"({"sum":2})");
  run_until([] { return false; }, 100ms);
  EXPECT_EQ(call(*c, "add", {{"a", 2}, {"b", 2}}).text(), R"({"sum":4})");
  block_on(ctx, c->close());
}

TEST_F(TestServer, StatefulJsonReplies) {
  start({"JSON=1"});
  auto c = connected();
  EXPECT_FALSE(c->session_id().empty());
  EXPECT_EQ(call(*c, "add", {{"a", 1}, {"b", 2}}).text(), R"({"sum":3})");
}

TEST_F(TestServer, ExpiredSessionIsReinitializedOnce) {
  start({});
  auto c = connected();
  int changes = 0;
  c->on_tools_changed([&] { ++changes; });
  const std::string first = c->session_id();
  EXPECT_EQ(c->initializations(), 1u);
  call(*c, "expire");
  run_until([] { return false; }, 200ms);  // the server forgets its sessions
  EXPECT_EQ(call(*c, "add", {{"a", 4}, {"b", 4}}).text(), R"({"sum":8})");
  EXPECT_EQ(c->initializations(), 2u);
  EXPECT_NE(c->session_id(), first);
  EXPECT_EQ(changes, 1);  // a new session: the tools must be listed again
  // The new session gets its own event stream, at once: list_changed still arrives.
  run_until([] { return false; }, 300ms);
  call(*c, "grow");
  run_until([&] { return changes == 2; }, 3s);
  EXPECT_EQ(changes, 2);
}

TEST_F(TestServer, ReplyStreamClosedMidCallIsResumed) {
  start({});
  auto c = connected();
  int progress = 0;
  CallOptions o;
  o.on_progress = [&](const Progress&) { ++progress; };
  EXPECT_EQ(call(*c, "drop", json::object(), o).text(), "answered after the stream was closed");
  EXPECT_EQ(progress, 1);
}

TEST_F(TestServer, TimeoutOnJsonReplyWhileWaitingForHead) {
  start({"JSON=1"});
  auto c = connected();
  CallOptions o;
  o.timeout = 300ms;
  auto start_time = std::chrono::steady_clock::now();
  EXPECT_THROW(call(*c, "slow", {{"steps", 10}}, o), McpError);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 3s);
}

}  // namespace
