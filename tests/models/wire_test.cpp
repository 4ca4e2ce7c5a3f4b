// Units for the model providers' wire translation: error mapping, the Messages API request and
// stream reader, the chat-completions request and chunk reader. No network.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/sse_parser.hpp"
#include "runtime/models/anthropic.hpp"
#include "runtime/models/errors.hpp"
#include "runtime/models/openai.hpp"

using namespace cove::models;
using cove::net::Headers;

namespace {

// Records what a sink saw, as "start 0 text", "text 0 Hel", ...
struct SinkLog {
  std::vector<std::string> seen;
  StreamSink sink() {
    return {[this](int i, std::string_view type) {
              seen.push_back("start " + std::to_string(i) + " " + std::string(type));
            },
            [this](int i, std::string_view text) {
              seen.push_back("text " + std::to_string(i) + " " + std::string(text));
            }};
  }
};

ModelErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no ModelError thrown";
  return ModelErrorKind::interrupted;
}

// ------------------------------------------------------------------------------------------
// Errors

TEST(ModelErrors, RetryAfterSecondsMillisecondsAndDates) {
  auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after({{"Retry-After", "2"}}, now), std::chrono::milliseconds(2000));
  EXPECT_EQ(parse_retry_after({{"retry-after", " 1.5 "}}, now), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_retry_after({{"retry-after", "9"}, {"retry-after-ms", "250"}}, now),
            std::chrono::milliseconds(250));
  EXPECT_EQ(parse_retry_after({{"retry-after", "Sun, 06 Nov 1994 08:49:47 GMT"}}, now),
            std::chrono::milliseconds(10000));
  EXPECT_EQ(parse_retry_after({{"retry-after", "Sunday, 06-Nov-94 08:49:40 GMT"}}, now),
            std::chrono::milliseconds(3000));
  EXPECT_EQ(parse_retry_after({{"retry-after", "Sun Nov  6 08:49:38 1994"}}, now),
            std::chrono::milliseconds(1000));
  EXPECT_EQ(parse_retry_after({{"retry-after", "Sun, 06 Nov 1994 08:00:00 GMT"}}, now),
            std::chrono::milliseconds(0));  // already past
  EXPECT_FALSE(parse_retry_after({{"retry-after", "soon"}}, now));
  EXPECT_FALSE(parse_retry_after({{"retry-after", "-3"}}, now));
  EXPECT_FALSE(parse_retry_after({}, now));
}

TEST(ModelErrors, StatusKinds) {
  EXPECT_EQ(kind_for_status(529), ModelErrorKind::overloaded);
  EXPECT_EQ(kind_for_status(429), ModelErrorKind::rate_limited);
  EXPECT_EQ(kind_for_status(500), ModelErrorKind::server);
  EXPECT_EQ(kind_for_status(503), ModelErrorKind::server);
  EXPECT_EQ(kind_for_status(400), ModelErrorKind::request_failed);
  EXPECT_EQ(kind_for_status(401), ModelErrorKind::request_failed);
  EXPECT_EQ(kind_for_status(404), ModelErrorKind::request_failed);
  for (auto kind :
       {ModelErrorKind::overloaded, ModelErrorKind::rate_limited, ModelErrorKind::server,
        ModelErrorKind::network, ModelErrorKind::request_failed, ModelErrorKind::interrupted})
    EXPECT_EQ(kind_from_name(kind_name(kind)), kind);
  EXPECT_FALSE(kind_from_name("bogus"));
}

TEST(ModelErrors, AnthropicBodyIsQuotedAndTheKeyNever) {
  auto e = error_for_status(
      "anthropic", 400, {{"request-id", "req_1"}},
      R"({"type":"error","error":{"type":"invalid_request_error","message":"messages.1: bad key sk-secret"}})",
      "sk-secret");
  EXPECT_EQ(e.kind(), ModelErrorKind::request_failed);
  EXPECT_EQ(e.status(), 400);
  EXPECT_FALSE(e.retryable());
  std::string what = e.what();
  EXPECT_NE(what.find("HTTP 400 invalid_request_error: messages.1: bad key"), std::string::npos)
      << what;
  EXPECT_NE(what.find("req_1"), std::string::npos) << what;
  EXPECT_EQ(what.find("sk-secret"), std::string::npos) << what;
  EXPECT_NE(what.find("[redacted]"), std::string::npos) << what;
}

TEST(ModelErrors, StatusAndRetryAfter) {
  auto overloaded = error_for_status(
      "anthropic", 529, {}, R"({"error":{"type":"overloaded_error","message":"Overloaded"}})", "");
  EXPECT_EQ(overloaded.kind(), ModelErrorKind::overloaded);
  EXPECT_TRUE(overloaded.retryable());
  auto limited = error_for_status("anthropic", 429, {{"retry-after", "7"}}, "", "");
  EXPECT_EQ(limited.kind(), ModelErrorKind::rate_limited);
  EXPECT_EQ(limited.retry_after(), std::chrono::milliseconds(7000));
  EXPECT_NE(std::string(limited.what()).find("(empty body)"), std::string::npos);
  EXPECT_EQ(error_for_status("x", 503, {}, "<html>down</html>", "").kind(), ModelErrorKind::server);
  // An overloaded_error body decides even with another status (some proxies answer 503).
  EXPECT_EQ(error_for_status("x", 503, {}, R"({"error":{"type":"overloaded_error"}})", "").kind(),
            ModelErrorKind::overloaded);
}

TEST(ModelErrors, OpenAiAndPlainBodies) {
  auto e = error_for_status(
      "openai", 404, {},
      R"({"error":{"message":"model 'x' not found","type":"invalid_request_error","code":"model_not_found"}})",
      "");
  EXPECT_NE(std::string(e.what()).find("model 'x' not found"), std::string::npos) << e.what();
  auto vllm = error_for_status("openai", 400, {}, R"({"object":"error","message":"too long"})", "");
  EXPECT_NE(std::string(vllm.what()).find("too long"), std::string::npos) << vllm.what();
  auto fastapi =
      error_for_status("openai", 422, {}, R"({"detail":[{"msg":"field required"}]})", "");
  EXPECT_NE(std::string(fastapi.what()).find("field required"), std::string::npos);
  auto text = error_for_status("openai", 502, {}, "bad gateway", "");
  EXPECT_NE(std::string(text.what()).find("bad gateway"), std::string::npos);
}

TEST(ModelErrors, StreamErrors) {
  EXPECT_EQ(
      error_for_stream_error("a", {{"type", "overloaded_error"}, {"message", "busy"}}, "").kind(),
      ModelErrorKind::overloaded);
  EXPECT_EQ(error_for_stream_error("a", {{"type", "rate_limit_error"}}, "").kind(),
            ModelErrorKind::rate_limited);
  EXPECT_EQ(error_for_stream_error("a", {{"type", "invalid_request_error"}}, "").kind(),
            ModelErrorKind::request_failed);
  EXPECT_EQ(error_for_stream_error("a", {{"type", "something_new"}}, "").kind(),
            ModelErrorKind::server);
  EXPECT_EQ(error_for_stream_error("o", {{"message", "slow down"}, {"code", 429}}, "").kind(),
            ModelErrorKind::rate_limited);
  auto e = error_for_stream_error("a", {{"type", "api_error"}, {"message", "key k1 bad"}}, "k1");
  EXPECT_EQ(std::string(e.what()).find("k1"), std::string::npos);
}

// ------------------------------------------------------------------------------------------
// Anthropic

TEST(AnthropicWire, RequestBody) {
  ModelRequest r;
  r.model = "claude-x";
  r.max_tokens = 100;
  r.messages = json::parse(R"([{"role":"user","content":[{"type":"text","text":"hi"}]}])");
  auto body = anthropic_request_body(r);
  EXPECT_EQ(body["model"], "claude-x");
  EXPECT_EQ(body["max_tokens"], 100);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"], r.messages);
  EXPECT_FALSE(body.contains("system"));
  EXPECT_FALSE(body.contains("tools"));
  r.system = "be brief";
  r.tools =
      json::parse(R"([{"name":"bash","description":"run","input_schema":{"type":"object"}}])");
  body = anthropic_request_body(r);
  EXPECT_EQ(body["system"], "be brief");
  EXPECT_EQ(body["tools"], r.tools);
}

// A realistic stream: thinking, text, a tool call whose input arrives in pieces.
const char* const full_stream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"stop_reason\":null,"
    "\"usage\":{\"input_tokens\":25,\"output_tokens\":1,\"cache_creation_input_tokens\":3,"
    "\"cache_read_input_tokens\":7}}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\","
    "\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
    "\"thinking\":\"Let me \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
    "\"thinking\":\"look.\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
    "\"signature\":\"sig==\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"I'll list \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"the files\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_1\",\"name\":\"bash\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"{\\\"command\\\": \\\"ls\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\" -la\\\"}\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":"
    "\"redacted_thinking\",\"data\":\"opaque\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

// Feeds `text` through the SSE parser in pieces of `step` bytes.
bool feed_all(AnthropicStreamReader& reader, std::string_view text, std::size_t step) {
  cove::net::SseParser parser;
  bool done = false;
  for (std::size_t at = 0; at < text.size(); at += step)
    for (const auto& e : parser.feed(text.substr(at, step)))
      done = reader.feed(e.type, e.data) || done;
  return done;
}

TEST(AnthropicWire, FullStreamInAnyChunking) {
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
    SinkLog log;
    auto sink = log.sink();
    AnthropicStreamReader reader(sink);
    EXPECT_TRUE(feed_all(reader, full_stream, step));
    auto reply = reader.finish();
    EXPECT_EQ(reply.content, json::parse(R"([
      {"type":"thinking","thinking":"Let me look.","signature":"sig=="},
      {"type":"text","text":"I'll list the files"},
      {"type":"tool_use","id":"toolu_1","name":"bash","input":{"command":"ls -la"}},
      {"type":"redacted_thinking","data":"opaque"}])"))
        << reply.content.dump();
    EXPECT_EQ(reply.stop_reason, "tool_use");
    EXPECT_EQ(reply.usage.input_tokens, 25);
    EXPECT_EQ(reply.usage.output_tokens, 42);
    EXPECT_EQ(reply.usage.cache_creation_input_tokens, 3);
    EXPECT_EQ(reply.usage.cache_read_input_tokens, 7);
    EXPECT_EQ(log.seen, (std::vector<std::string>{
                            "start 0 thinking", "start 1 text", "text 1 I'll list ",
                            "text 1 the files", "start 2 tool_use", "start 3 redacted_thinking"}));
  }
}

std::string event(const std::string& type, const std::string& data) {
  return "event: " + type + "\ndata: " + data + "\n\n";
}

const std::string start_event =
    event("message_start",
          R"({"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}})");
const std::string stop_events =
    event(
        "message_delta",
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3,"input_tokens":6}})") +
    event("message_stop", R"({"type":"message_stop"})");

std::string tool_block(const std::string& json_pieces) {
  return event(
             "content_block_start",
             R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"noargs","input":{}}})") +
         json_pieces + event("content_block_stop", R"({"type":"content_block_stop","index":0})");
}

std::string json_delta(const std::string& partial) {
  return event("content_block_delta",
               json{{"type", "content_block_delta"},
                    {"index", 0},
                    {"delta", {{"type", "input_json_delta"}, {"partial_json", partial}}}}
                   .dump());
}

TEST(AnthropicWire, ToolInputEmptyOrAbsentIsAnEmptyObject) {
  StreamSink sink;
  for (const auto& pieces : {std::string(), json_delta(""), json_delta("  ")}) {
    AnthropicStreamReader reader(sink);
    EXPECT_TRUE(feed_all(reader, start_event + tool_block(pieces) + stop_events, 1000));
    auto reply = reader.finish();
    EXPECT_EQ(reply.content[0]["input"], json::object());
    EXPECT_EQ(reply.usage.input_tokens, 6);  // message_delta's cumulative counters win
    EXPECT_EQ(reply.usage.output_tokens, 3);
  }
}

TEST(AnthropicWire, BrokenToolInputIsAServerErrorUnlessCutByMaxTokens) {
  StreamSink sink;
  AnthropicStreamReader broken(sink);
  feed_all(broken, start_event + tool_block(json_delta("{\"a\":")) + stop_events, 1000);
  EXPECT_EQ(kind_of([&] { broken.finish(); }), ModelErrorKind::server);

  AnthropicStreamReader cut(sink);
  feed_all(cut,
           start_event + tool_block(json_delta("{\"a\":")) +
               event("message_delta",
                     R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"}})") +
               event("message_stop", "{}"),
           1000);
  auto reply = cut.finish();
  EXPECT_EQ(reply.stop_reason, "max_tokens");
  EXPECT_EQ(reply.content[0]["input"], json::object());
}

TEST(AnthropicWire, ErrorEventsMapToKinds) {
  StreamSink sink;
  auto error_kind = [&](const std::string& type) {
    AnthropicStreamReader reader(sink);
    return kind_of([&] {
      feed_all(
          reader,
          start_event +
              event("error",
                    json{{"type", "error"}, {"error", {{"type", type}, {"message", "m"}}}}.dump()),
          1000);
    });
  };
  EXPECT_EQ(error_kind("overloaded_error"), ModelErrorKind::overloaded);
  EXPECT_EQ(error_kind("api_error"), ModelErrorKind::server);
  EXPECT_EQ(error_kind("rate_limit_error"), ModelErrorKind::rate_limited);
  EXPECT_EQ(error_kind("invalid_request_error"), ModelErrorKind::request_failed);
}

TEST(AnthropicWire, IncompleteOrMalformedStreamsAreServerErrors) {
  StreamSink sink;
  AnthropicStreamReader cut(sink);
  EXPECT_FALSE(feed_all(cut, start_event + tool_block(json_delta("{}")), 1000));
  EXPECT_EQ(kind_of([&] { cut.finish(); }), ModelErrorKind::server);

  AnthropicStreamReader early(sink);
  EXPECT_EQ(kind_of([&] { feed_all(early, start_event + json_delta("{}"), 1000); }),
            ModelErrorKind::server);  // delta for a block that never started

  AnthropicStreamReader garbage(sink);
  EXPECT_EQ(kind_of([&] { garbage.feed("content_block_start", "{not json"); }),
            ModelErrorKind::server);

  AnthropicStreamReader wrong(sink);
  EXPECT_EQ(kind_of([&] {
              wrong.feed("content_block_start", R"({"type":"content_block_start","index":"x"})");
            }),
            ModelErrorKind::server);
}

TEST(AnthropicWire, UnknownEventsAndDeltasAreIgnored) {
  StreamSink sink;
  AnthropicStreamReader reader(sink);
  feed_all(
      reader,
      start_event + event("future_event", R"({"type":"future_event"})") +
          event(
              "content_block_start",
              R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
          event(
              "content_block_delta",
              R"({"type":"content_block_delta","index":0,"delta":{"type":"future_delta","x":1}})") +
          event(
              "content_block_delta",
              R"({"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"cited_text":"c"}}})") +
          event("content_block_stop", R"({"type":"content_block_stop","index":0})") + stop_events,
      1000);
  auto reply = reader.finish();
  EXPECT_EQ(reply.content,
            json::parse(R"([{"type":"text","text":"","citations":[{"cited_text":"c"}]}])"));
  EXPECT_EQ(reply.stop_reason, "end_turn");
}

TEST(AnthropicWire, WholeMessageAnswer) {
  SinkLog log;
  auto sink = log.sink();
  auto reply = anthropic_reply_from_message(json::parse(R"({"content":[
      {"type":"text","text":"hello"},{"type":"tool_use","id":"t1","name":"read","input":{"file_path":"a"}}],
      "stop_reason":"tool_use","usage":{"input_tokens":9,"output_tokens":4}})"),
                                            sink);
  EXPECT_EQ(reply.content.size(), 2u);
  EXPECT_EQ(reply.stop_reason, "tool_use");
  EXPECT_EQ(reply.usage.input_tokens, 9);
  EXPECT_EQ(log.seen,
            (std::vector<std::string>{"start 0 text", "text 0 hello", "start 1 tool_use"}));
  EXPECT_EQ(kind_of([&] { anthropic_reply_from_message(json::parse("{}"), sink); }),
            ModelErrorKind::server);
}

// ------------------------------------------------------------------------------------------
// OpenAI chat completions

TEST(ChatWire, RequestTranslation) {
  ModelRequest r;
  r.model = "qwen2.5:7b";
  r.system = "sys";
  r.max_tokens = 50;
  r.messages = json::parse(R"([
    {"role":"user","content":"plain"},
    {"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{}}]},
    {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},
      {"type":"text","text":"calling"},
      {"type":"tool_use","id":"call_1","name":"bash","input":{"command":"ls"}},
      {"type":"tool_use","id":"call_2","name":"read","input":{}}]},
    {"role":"user","content":[
      {"type":"tool_result","tool_use_id":"call_1","content":"a.txt"},
      {"type":"tool_result","tool_use_id":"call_2","is_error":true,
       "content":[{"type":"text","text":"no such file"},{"type":"image","source":{}}]},
      {"type":"text","text":"go on"}]},
    {"role":"assistant","content":[{"type":"tool_use","id":"call_3","name":"bash","input":{}}]}
  ])");
  r.tools = json::parse(
      R"([{"name":"bash","description":"run","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}},
                            {"name":"bare"}])");
  auto body = chat_request_body(r);
  EXPECT_EQ(body["model"], "qwen2.5:7b");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 50);
  auto expected = json::parse(R"([
    {"role":"system","content":"sys"},
    {"role":"user","content":"plain"},
    {"role":"user","content":"look\n\n[image omitted: this model endpoint receives text only]"},
    {"role":"assistant","content":"calling","tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"bash","arguments":"{\"command\":\"ls\"}"}},
      {"id":"call_2","type":"function","function":{"name":"read","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"a.txt"},
    {"role":"tool","tool_call_id":"call_2",
     "content":"Error: no such file\n[image omitted: this model endpoint receives text only]"},
    {"role":"user","content":"go on"},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"call_3","type":"function","function":{"name":"bash","arguments":"{}"}}]}
  ])");
  EXPECT_EQ(body["messages"], expected) << body["messages"].dump(1);
  EXPECT_EQ(body["tools"], json::parse(R"([
    {"type":"function","function":{"name":"bash","description":"run",
      "parameters":{"type":"object","properties":{"command":{"type":"string"}}}}},
    {"type":"function","function":{"name":"bare","parameters":{"type":"object"}}}])"));
}

ModelReply chat_stream(const std::vector<std::string>& chunks, SinkLog* log = nullptr) {
  StreamSink empty;
  StreamSink sink = log ? log->sink() : empty;
  int n = 0;
  ChatStreamReader reader(sink, [&n] { return "gen_" + std::to_string(++n); });
  for (const auto& c : chunks)
    reader.feed(c);
  return reader.finish();
}

TEST(ChatWire, TextAndStreamedToolCalls) {
  SinkLog log;
  auto reply = chat_stream(
      {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
       R"({"choices":[{"index":0,"delta":{"content":"Let me "}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"check."}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"bash","arguments":""}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"comm"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","function":{"name":"read","arguments":"{}"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"and\":\"ls\"}"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
       R"({"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":30}}})",
       "[DONE]"},
      &log);
  EXPECT_EQ(reply.content, json::parse(R"([
    {"type":"text","text":"Let me check."},
    {"type":"tool_use","id":"call_a","name":"bash","input":{"command":"ls"}},
    {"type":"tool_use","id":"call_b","name":"read","input":{}}])"))
      << reply.content.dump();
  EXPECT_EQ(reply.stop_reason, "tool_use");
  EXPECT_EQ(reply.usage.input_tokens, 70);
  EXPECT_EQ(reply.usage.cache_read_input_tokens, 30);
  EXPECT_EQ(reply.usage.output_tokens, 20);
  EXPECT_EQ(log.seen, (std::vector<std::string>{"start 0 text", "text 0 Let me ", "text 0 check.",
                                                "start 1 tool_use", "start 2 tool_use"}));
}

TEST(ChatWire, FinishReasons) {
  auto reason = [](const std::string& finish) {
    return chat_stream(
               {json{{"choices",
                      {{{"index", 0}, {"delta", {{"content", "x"}}}, {"finish_reason", finish}}}}}
                    .dump(),
                "[DONE]"})
        .stop_reason;
  };
  EXPECT_EQ(reason("stop"), "end_turn");
  EXPECT_EQ(reason("length"), "max_tokens");
  EXPECT_EQ(reason("content_filter"), "refusal");
  EXPECT_EQ(reason("tool_calls"), "tool_use");
  EXPECT_EQ(reason("something_else"), "end_turn");
}

TEST(ChatWire, ToolCallsWithoutIdsOrIndexesAndStopReason) {
  // Some local servers send whole calls without index or id, and finish with "stop".
  auto reply = chat_stream(
      {R"({"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},{"function":{"name":"b","arguments":"{\"y\":2}"}}]},"finish_reason":"stop"}]})"});
  EXPECT_EQ(reply.content, json::parse(R"([
    {"type":"tool_use","id":"gen_1","name":"a","input":{"x":1}},
    {"type":"tool_use","id":"gen_2","name":"b","input":{"y":2}}])"));
  EXPECT_EQ(reply.stop_reason, "tool_use");
}

TEST(ChatWire, ReasoningBecomesThinking) {
  SinkLog log;
  auto reply = chat_stream({R"({"choices":[{"index":0,"delta":{"reasoning_content":"hmm "}}]})",
                            R"({"choices":[{"index":0,"delta":{"reasoning_content":"ok"}}]})",
                            R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})",
                            R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"},
                           &log);
  EXPECT_EQ(reply.content, json::parse(R"([{"type":"thinking","thinking":"hmm ok","signature":""},
                                           {"type":"text","text":"Hi"}])"));
  EXPECT_EQ(log.seen, (std::vector<std::string>{"start 0 thinking", "start 1 text", "text 1 Hi"}));
}

TEST(ChatWire, BrokenStreams) {
  EXPECT_EQ(kind_of([] { chat_stream({R"({"choices":[{"index":0,"delta":{"content":"a"}}]})"}); }),
            ModelErrorKind::server);  // ended before a finish_reason
  EXPECT_EQ(kind_of([] { chat_stream({"{oops"}); }), ModelErrorKind::server);
  EXPECT_EQ(
      kind_of([] { chat_stream({R"({"error":{"message":"Rate limit reached","code":429}})"}); }),
      ModelErrorKind::rate_limited);
  EXPECT_EQ(
      kind_of([] {
        chat_stream(
            {R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"a","arguments":"[1]"}}]},"finish_reason":"tool_calls"}]})"});
      }),
      ModelErrorKind::server);  // arguments not an object
  // Cut by length inside the arguments: not an error, the loop sees max_tokens.
  auto cut = chat_stream(
      {R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"a","arguments":"{\"x\":"}}]},"finish_reason":"length"}]})"});
  EXPECT_EQ(cut.stop_reason, "max_tokens");
  EXPECT_EQ(cut.content[0]["input"], json::object());
}

TEST(ChatWire, WholeCompletion) {
  SinkLog log;
  auto sink = log.sink();
  auto reply = chat_reply_from_completion(json::parse(R"({"choices":[{"index":0,"message":{
      "role":"assistant","content":"Sure.","tool_calls":[{"id":"c9","type":"function",
      "function":{"name":"bash","arguments":"{\"command\":\"pwd\"}"}}]},"finish_reason":"tool_calls"}],
      "usage":{"prompt_tokens":11,"completion_tokens":2}})"),
                                          sink, [] { return std::string("unused"); });
  EXPECT_EQ(reply.content, json::parse(R"([{"type":"text","text":"Sure."},
      {"type":"tool_use","id":"c9","name":"bash","input":{"command":"pwd"}}])"));
  EXPECT_EQ(reply.stop_reason, "tool_use");
  EXPECT_EQ(reply.usage.input_tokens, 11);
  EXPECT_EQ(log.seen,
            (std::vector<std::string>{"start 0 text", "text 0 Sure.", "start 1 tool_use"}));
}

}  // namespace
