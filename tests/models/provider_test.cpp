// The HTTP providers against real servers on 127.0.0.1: `anthropic` against
// tests/models/model_server.mjs, `openai` against tests/models/chat_server.mjs. Each test loads
// its turns through the servers' control endpoint, calls complete(), and checks the reply, what
// streamed to the sink, what the server received, and how failures map to ModelError.
#include "runtime/models/provider.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "net/block_on.hpp"
#include "net/http_client.hpp"
#include "runtime/models/errors.hpp"
#include "runtime/models/script.hpp"
#include "tests/support/node_peer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace cove::models;
using cove::net::block_on;
using cove::test::NodePeer;
namespace fs = std::filesystem;

namespace {

constexpr const char* api_key = "sk-test-0123456789";

// A node test server with the control endpoints of model_server.mjs / chat_server.mjs.
class ScriptedServer {
 public:
  explicit ScriptedServer(const std::string& script)
      : peer_({cove::test::source_dir() + "/tests/models/" + script}, {}) {}

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(peer_.port()); }

  void set_turns(boost::asio::io_context& ctx, const json& turns) {
    auto res = call(ctx, "POST", "/_control/turns", json{{"turns", turns}}.dump());
    ASSERT_EQ(res.status, 200) << res.body;
  }
  // {played, requests, headers}
  json seen(boost::asio::io_context& ctx) {
    return json::parse(call(ctx, "GET", "/_control/requests", "").body);
  }

 private:
  cove::net::HttpResponse call(boost::asio::io_context& ctx, const char* method,
                               const std::string& path, std::string body) {
    cove::net::HttpClient client(ctx.get_executor());
    cove::net::HttpRequest r;
    r.method = method;
    r.url = cove::net::parse_url(origin() + path);
    r.body = std::move(body);
    return block_on(ctx, client.send(std::move(r)));
  }
  NodePeer peer_;
};

std::unique_ptr<ScriptedServer> messages_server;
std::unique_ptr<ScriptedServer> chat_server;

struct Seen {
  std::vector<std::string> starts;
  std::vector<std::string> texts;
  StreamSink sink() {
    return {[this](int i, std::string_view t) {
              starts.push_back(std::to_string(i) + " " + std::string(t));
            },
            [this](int i, std::string_view t) {
              texts.push_back(std::to_string(i) + " " + std::string(t));
            }};
  }
};

ModelRequest request(const char* text = "list the files") {
  ModelRequest r;
  r.model = "claude-test";
  r.system = "You are a coding agent.";
  r.max_tokens = 1024;
  r.messages = json::array({{{"role", "user"}, {"content", {{{"type", "text"}, {"text", text}}}}}});
  r.tools = json::parse(
      R"([{"name":"bash","description":"run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}])");
  return r;
}

class ProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    messages_server = std::make_unique<ScriptedServer>("model_server.mjs");
    chat_server = std::make_unique<ScriptedServer>("chat_server.mjs");
  }
  static void TearDownTestSuite() {
    messages_server.reset();
    chat_server.reset();
  }

  std::unique_ptr<Provider> anthropic(const json& turns) {
    messages_server->set_turns(ctx, turns);
    ProviderConfig config;
    config.anthropic_base_url = messages_server->origin();
    config.anthropic_api_key = api_key;
    return make_provider(ctx.get_executor(), config, "claude-test", "sesn_test");
  }
  std::unique_ptr<Provider> openai(const json& turns) {
    chat_server->set_turns(ctx, turns);
    ProviderConfig config;
    config.provider = "openai";
    config.openai_base_url = chat_server->origin() + "/v1";
    config.openai_api_key = api_key;
    return make_provider(ctx.get_executor(), config, "qwen2.5:7b", "sesn_test");
  }

  // The error complete() fails with (a test failure when it succeeds).
  ModelError failure(Provider& provider, const ModelRequest& r = request(),
                     std::stop_token stop = {}) {
    StreamSink sink;
    try {
      block_on(ctx, provider.complete(r, sink, stop));
    } catch (const ModelError& e) {
      return e;
    }
    ADD_FAILURE() << "complete() succeeded";
    return ModelError(ModelErrorKind::interrupted, "none");
  }

  // Runs complete() while another thread requests stop after `after`; returns the error and how
  // long the call took.
  std::pair<ModelError, std::chrono::milliseconds> stopped_after(Provider& provider,
                                                                 std::chrono::milliseconds after,
                                                                 Seen* seen = nullptr) {
    std::stop_source stop;
    std::thread stopper([&] {
      std::this_thread::sleep_for(after);
      stop.request_stop();
    });
    Seen local;
    auto sink = (seen ? seen : &local)->sink();
    auto started = std::chrono::steady_clock::now();
    std::optional<ModelError> error;
    try {
      block_on(ctx, provider.complete(request(), sink, stop.get_token()));
    } catch (const ModelError& e) {
      error = e;
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    stopper.join();
    if (!error) {
      ADD_FAILURE() << "complete() was not interrupted";
      error.emplace(ModelErrorKind::server, "none");
    }
    return {*error, took};
  }

  boost::asio::io_context ctx;
};

// ------------------------------------------------------------------------------------------
// anthropic

TEST_F(ProviderTest, AnthropicStreamsTextThinkingAndToolUse) {
  auto content = json::parse(R"([
    {"type":"thinking","thinking":"The user wants a listing.","signature":"c2lnbmF0dXJl"},
    {"type":"text","text":"I'll list the files — ✓ ünïcödé."},
    {"type":"tool_use","id":"toolu_01","name":"bash","input":{"command":"ls -la","opts":{"n":[1,2.5,null,"x\"y"]}}}])");
  auto provider = anthropic(json::array({{{"content", content},
                                          {"usage",
                                           {{"input_tokens", 120},
                                            {"output_tokens", 33},
                                            {"cache_creation_input_tokens", 4},
                                            {"cache_read_input_tokens", 80}}}}}));
  Seen seen;
  auto sink = seen.sink();
  auto reply = block_on(ctx, provider->complete(request(), sink, {}));
  EXPECT_EQ(reply.content, content) << reply.content.dump();
  EXPECT_EQ(reply.stop_reason, "tool_use");
  EXPECT_EQ(reply.usage.input_tokens, 120);
  EXPECT_EQ(reply.usage.output_tokens, 33);
  EXPECT_EQ(reply.usage.cache_creation_input_tokens, 4);
  EXPECT_EQ(reply.usage.cache_read_input_tokens, 80);
  EXPECT_EQ(seen.starts, (std::vector<std::string>{"0 thinking", "1 text", "2 tool_use"}));
  ASSERT_GE(seen.texts.size(), 2u);  // the text streamed in pieces
  std::string joined;
  for (const auto& t : seen.texts) {
    ASSERT_EQ(t.substr(0, 2), "1 ");
    joined += t.substr(2);
  }
  EXPECT_EQ(joined, content[1]["text"]);

  auto got = messages_server->seen(ctx);
  ASSERT_EQ(got["requests"].size(), 1u);
  const auto& body = got["requests"][0];
  EXPECT_EQ(body["model"], "claude-test");
  EXPECT_EQ(body["max_tokens"], 1024);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["system"], "You are a coding agent.");
  EXPECT_EQ(body["messages"], request().messages);
  EXPECT_EQ(body["tools"], request().tools);
  const auto& headers = got["headers"][0];
  EXPECT_EQ(headers["x-api-key"], api_key);
  EXPECT_EQ(headers["anthropic-version"], "2023-06-01");
  EXPECT_EQ(headers["content-type"], "application/json");
}

TEST_F(ProviderTest, AnthropicToolLoopOverOneConnection) {
  auto provider = anthropic(json::parse(R"([
    {"content":[{"type":"tool_use","id":"toolu_a","name":"bash","input":{}}]},
    {"content":[{"type":"text","text":"done"}]},
    {"content":[{"type":"text","text":"again"}],"stop_reason":"max_tokens"}])"));
  StreamSink sink;
  auto r = request();
  auto first = block_on(ctx, provider->complete(r, sink, {}));
  EXPECT_EQ(first.content[0]["input"], json::object());  // empty streamed input → {}
  r.messages.push_back({{"role", "assistant"}, {"content", first.content}});
  r.messages.push_back(
      {{"role", "user"},
       {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_a"}, {"content", "ok"}}}}});
  EXPECT_EQ(block_on(ctx, provider->complete(r, sink, {})).content[0]["text"], "done");
  r.messages.push_back({{"role", "assistant"}, {"content", "done"}});
  r.messages.push_back({{"role", "user"}, {"content", "more"}});
  auto third = block_on(ctx, provider->complete(r, sink, {}));
  EXPECT_EQ(third.stop_reason, "max_tokens");
  auto seen = messages_server->seen(ctx);
  EXPECT_EQ(seen["played"], 3);
  // The connection went back to the pool after each complete reply.
  EXPECT_EQ(seen["ports"][0], seen["ports"][1]);
  EXPECT_EQ(seen["ports"][1], seen["ports"][2]);
}

TEST_F(ProviderTest, AnthropicOverloaded) {
  auto provider = anthropic(json::parse(R"([
    {"error":{"status":529,"message":"Overloaded"}},
    {"error":{"status":529,"type":"overloaded_error","message":"Overloaded","in_stream":true}}])"));
  auto http = failure(*provider);
  EXPECT_EQ(http.kind(), ModelErrorKind::overloaded);
  EXPECT_EQ(http.status(), 529);
  EXPECT_TRUE(http.retryable());
  auto in_stream = failure(*provider);
  EXPECT_EQ(in_stream.kind(), ModelErrorKind::overloaded);
}

TEST_F(ProviderTest, AnthropicRateLimitedWithRetryAfter) {
  auto provider = anthropic(json::parse(R"([
    {"error":{"status":429,"message":"rate limited","retry_after":3}},
    {"error":{"status":429,"retry_after_ms":1500}}])"));
  auto seconds = failure(*provider);
  EXPECT_EQ(seconds.kind(), ModelErrorKind::rate_limited);
  EXPECT_EQ(seconds.status(), 429);
  EXPECT_EQ(seconds.retry_after(), std::chrono::milliseconds(3000));
  EXPECT_EQ(failure(*provider).retry_after(), std::chrono::milliseconds(1500));
}

TEST_F(ProviderTest, AnthropicBadRequestQuotesTheServerButNeverTheKey) {
  auto provider = anthropic(json::parse(R"([{"content":[]}])"));
  auto r = request();
  r.messages.push_back({{"role", "user"}, {"content", "two user messages in a row"}});
  auto refused = failure(*provider, r);
  EXPECT_EQ(refused.kind(), ModelErrorKind::request_failed);
  EXPECT_EQ(refused.status(), 400);
  EXPECT_FALSE(refused.retryable());
  EXPECT_NE(std::string(refused.what()).find("roles must alternate"), std::string::npos)
      << refused.what();

  provider = anthropic(json::array(
      {{{"error", {{"status", 401}, {"message", std::string("invalid key ") + api_key}}}}}));
  auto auth = failure(*provider);
  EXPECT_EQ(auth.kind(), ModelErrorKind::request_failed);
  EXPECT_EQ(std::string(auth.what()).find(api_key), std::string::npos) << auth.what();
  EXPECT_NE(std::string(auth.what()).find("invalid key [redacted]"), std::string::npos);
}

TEST_F(ProviderTest, AnthropicServerErrorsAndBrokenStreams) {
  auto provider = anthropic(json::parse(R"([
    {"error":{"kind":"server","message":"boom"}},
    {"content":[{"type":"text","text":"a reply that breaks off"}],"cut_after":5},
    {"content":[{"type":"text","text":"a reply that just stops"}],"end_after":5},
    {"content":[{"type":"text","text":"fine"}]}])"));
  auto five_hundred = failure(*provider);
  EXPECT_EQ(five_hundred.kind(), ModelErrorKind::server);
  EXPECT_EQ(five_hundred.status(), 500);
  auto cut = failure(*provider);
  EXPECT_EQ(cut.kind(), ModelErrorKind::server) << cut.what();
  EXPECT_NE(std::string(cut.what()).find("broke off"), std::string::npos) << cut.what();
  auto ended = failure(*provider);
  EXPECT_EQ(ended.kind(), ModelErrorKind::server);
  EXPECT_NE(std::string(ended.what()).find("before message_stop"), std::string::npos)
      << ended.what();
  StreamSink sink;
  EXPECT_EQ(block_on(ctx, provider->complete(request(), sink, {})).content[0]["text"], "fine");
}

TEST_F(ProviderTest, AnthropicNetworkFailure) {
  ProviderConfig config;
  config.anthropic_base_url = "http://127.0.0.1:" + std::to_string(cove::test::free_port());
  auto provider = make_provider(ctx.get_executor(), config, "claude-test", "s");
  auto e = failure(*provider);
  EXPECT_EQ(e.kind(), ModelErrorKind::network) << e.what();
  EXPECT_TRUE(e.retryable());
}

TEST_F(ProviderTest, AnthropicStopAbortsWhileWaitingForTheHead) {
  auto provider = anthropic(json::parse(R"([{"delay_ms":30000,"content":[]},
                                            {"content":[{"type":"text","text":"after"}]}])"));
  auto [error, took] = stopped_after(*provider, std::chrono::milliseconds(200));
  EXPECT_EQ(error.kind(), ModelErrorKind::interrupted) << error.what();
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  StreamSink sink;  // the provider is usable afterwards
  EXPECT_EQ(block_on(ctx, provider->complete(request(), sink, {})).content[0]["text"], "after");
}

TEST_F(ProviderTest, AnthropicStopAbortsMidReply) {
  auto provider = anthropic(json::parse(
      R"([{"content":[{"type":"text","text":"partial text that stalls"}],"stall_after":5}])"));
  Seen seen;
  auto [error, took] = stopped_after(*provider, std::chrono::milliseconds(300), &seen);
  EXPECT_EQ(error.kind(), ModelErrorKind::interrupted) << error.what();
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_FALSE(seen.texts.empty());  // the part before the stall streamed
}

// ------------------------------------------------------------------------------------------
// openai

TEST_F(ProviderTest, OpenAiTextToolCallsAndUsage) {
  auto content = json::parse(R"([
    {"type":"text","text":"Checking both files."},
    {"type":"tool_use","id":"call_1","name":"bash","input":{"command":"cat a"}},
    {"type":"tool_use","id":"call_2","name":"bash","input":{"command":"cat b"}}])");
  auto provider = openai(json::array(
      {{{"content", content},
        {"usage", {{"input_tokens", 7}, {"output_tokens", 3}, {"cache_read_input_tokens", 2}}}}}));
  auto r = request();
  r.model.clear();  // the provider's own model name is used
  r.messages = json::parse(R"([
    {"role":"user","content":"look"},
    {"role":"assistant","content":[{"type":"tool_use","id":"call_0","name":"bash","input":{"command":"ls"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_0","content":[{"type":"text","text":"a b"}]},
                              {"type":"text","text":"now read them"}]}])");
  Seen seen;
  auto sink = seen.sink();
  auto reply = block_on(ctx, provider->complete(r, sink, {}));
  EXPECT_EQ(reply.content, content) << reply.content.dump();
  EXPECT_EQ(reply.stop_reason, "tool_use");
  EXPECT_EQ(reply.usage.input_tokens, 7);
  EXPECT_EQ(reply.usage.cache_read_input_tokens, 2);
  EXPECT_EQ(reply.usage.output_tokens, 3);
  EXPECT_EQ(seen.starts, (std::vector<std::string>{"0 text", "1 tool_use", "2 tool_use"}));
  EXPECT_GE(seen.texts.size(), 2u);

  auto got = chat_server->seen(ctx);
  const auto& body = got["requests"][0];
  EXPECT_EQ(body["model"], "qwen2.5:7b");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"], json::parse(R"([
    {"role":"system","content":"You are a coding agent."},
    {"role":"user","content":"look"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function",
      "function":{"name":"bash","arguments":"{\"command\":\"ls\"}"}}]},
    {"role":"tool","tool_call_id":"call_0","content":"a b"},
    {"role":"user","content":"now read them"}])"))
      << body["messages"].dump(1);
  EXPECT_EQ(body["tools"][0]["function"]["name"], "bash");
  EXPECT_EQ(got["headers"][0]["authorization"], std::string("Bearer ") + api_key);
}

TEST_F(ProviderTest, OpenAiErrorsAndAbort) {
  auto provider = openai(json::parse(R"([
    {"error":{"status":429,"message":"slow down"}},
    {"error":{"status":503,"message":"loading model"}},
    {"error":{"status":500,"message":"mid-stream failure","in_stream":true}},
    {"content":[{"type":"text","text":"cut off here"}],"cut_after":3},
    {"error":{"status":404,"message":"model 'x' not found"}},
    {"delay_ms":30000,"content":[]}])"));
  EXPECT_EQ(failure(*provider).kind(), ModelErrorKind::rate_limited);
  EXPECT_EQ(failure(*provider).kind(), ModelErrorKind::server);
  EXPECT_EQ(failure(*provider).kind(), ModelErrorKind::server);
  EXPECT_EQ(failure(*provider).kind(), ModelErrorKind::server);
  auto missing = failure(*provider);
  EXPECT_EQ(missing.kind(), ModelErrorKind::request_failed);
  EXPECT_NE(std::string(missing.what()).find("model 'x' not found"), std::string::npos);
  auto [error, took] = stopped_after(*provider, std::chrono::milliseconds(200));
  EXPECT_EQ(error.kind(), ModelErrorKind::interrupted);
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

// ------------------------------------------------------------------------------------------
// Recording a real provider, replaying with the scripted one and through model_server.mjs

// What a call produced, comparable across replays: the reply as a script turn, or the kind
// and status of the failure.
std::string outcome(boost::asio::io_context& ctx, Provider& provider, const ModelRequest& r) {
  StreamSink sink;
  try {
    return script_turn_json(block_on(ctx, provider.complete(r, sink, {}))).dump();
  } catch (const ModelError& e) {
    return "error " + std::string(kind_name(e.kind())) + " " + std::to_string(e.status());
  }
}

TEST_F(ProviderTest, RecordThenReplayGivesIdenticalReplies) {
  cove::test::TempDir tmp("cove-record");
  const fs::path& dir = tmp.path();
  auto turns = json::parse(R"([
    {"error":{"status":529,"message":"Overloaded"}},
    {"content":[{"type":"thinking","thinking":"hm","signature":"s1"},
                {"type":"text","text":"Running it."},
                {"type":"tool_use","id":"toolu_r1","name":"bash","input":{"command":"make"}}],
     "usage":{"input_tokens":11,"output_tokens":7}},
    {"error":{"status":429,"message":"later","retry_after":2}},
    {"content":[{"type":"text","text":"All done."}],"stop_reason":"end_turn"}])");
  messages_server->set_turns(ctx, turns);
  ProviderConfig config;
  config.anthropic_base_url = messages_server->origin();
  config.record_dir = dir.string();
  auto recorded = make_provider(ctx.get_executor(), config, "anthropic:claude-test", "sesn_rec");
  std::vector<std::string> original;
  for (std::size_t i = 0; i < turns.size(); ++i)
    original.push_back(outcome(ctx, *recorded, request()));
  EXPECT_NE(original[1].find("toolu_r1"), std::string::npos) << original[1];
  EXPECT_EQ(original[2], "error rate_limited 429");

  // The scripted provider replays the recording exactly (retry_after included).
  ProviderConfig replay;
  replay.scripts_dir = dir.string();
  auto scripted = make_provider(ctx.get_executor(), replay, "scripted:sesn_rec.jsonl", "s");
  std::vector<std::string> again;
  for (std::size_t i = 0; i < turns.size(); ++i)
    again.push_back(outcome(ctx, *scripted, request()));
  EXPECT_EQ(again, original);

  // The same file drives model_server.mjs: a recording replays over HTTP too.
  auto file = load_script(dir / "sesn_rec.jsonl");
  json lines = json::array();
  std::ifstream in(dir / "sesn_rec.jsonl");
  for (std::string line; std::getline(in, line);)
    lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), file.size());
  messages_server->set_turns(ctx, lines);
  config.record_dir.clear();
  auto over_http = make_provider(ctx.get_executor(), config, "anthropic:claude-test", "s");
  std::vector<std::string> third;
  for (std::size_t i = 0; i < turns.size(); ++i)
    third.push_back(outcome(ctx, *over_http, request()));
  EXPECT_EQ(third, original);
}

}  // namespace
