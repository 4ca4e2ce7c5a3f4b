// Units for model scripts, the scripted provider, recording and make_provider: everything that
// needs no network (coroutines run on a local io_context).
#include "runtime/models/script.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/block_on.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/what_of.hpp"

using namespace cove::models;
using cove::net::block_on;
using cove::test::what_of;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A temporary directory to write scripts into.
struct ScriptDir : cove::test::TempDir {
  ScriptDir() : TempDir("cove-models") {}
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path() / name) << text;
    return path() / name;
  }
};

ModelRequest any_request() {
  ModelRequest r;
  r.model = "m";
  r.messages = json::parse(R"([{"role":"user","content":"hi"}])");
  return r;
}

const char* const two_turns = R"({"turns":[
  {"content":[{"type":"text","text":"Let me look."},
              {"type":"tool_use","name":"bash","input":{"command":"ls"}}],
   "usage":{"input_tokens":10,"output_tokens":5}},
  {"content":[{"type":"text","text":"Done: ✓ ünïcödé"}],"stop_reason":"end_turn"}
]})";

// ------------------------------------------------------------------------------------------
// Format

TEST(ScriptFormat, ObjectFormWithDefaults) {
  auto turns = parse_script(two_turns, "demo.json");
  ASSERT_EQ(turns.size(), 2u);
  ASSERT_TRUE(turns[0].reply);
  EXPECT_EQ(turns[0].reply->stop_reason, "tool_use");  // derived from the tool_use block
  EXPECT_EQ(turns[0].reply->content[1]["id"], "toolu_scripted_1_1");
  EXPECT_EQ(turns[0].reply->usage.input_tokens, 10);
  EXPECT_EQ(turns[1].reply->stop_reason, "end_turn");
  EXPECT_EQ(turns[1].reply->usage.output_tokens, 0);
}

TEST(ScriptFormat, JsonLinesArrayAndSingleTurn) {
  auto lines = parse_script(
      "{\"content\":[{\"type\":\"thinking\",\"thinking\":\"t\"}]}\n\n"
      "{\"error\":{\"status\":529,\"message\":\"busy\"}}\n"
      "{\"delay_ms\":20,\"content\":[]}\n",
      "x.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].reply->content[0]["signature"], "");
  ASSERT_TRUE(lines[1].error);
  EXPECT_EQ(lines[1].error->kind, ModelErrorKind::overloaded);
  EXPECT_EQ(lines[1].error->status, 529);
  EXPECT_EQ(lines[1].error->message, "busy");
  EXPECT_EQ(lines[2].delay, std::chrono::milliseconds(20));
  EXPECT_EQ(parse_script(R"([{"content":[]},{"content":[]}])", "a").size(), 2u);
  EXPECT_EQ(parse_script("{\n \"content\": [{\"type\":\"text\",\"text\":\"x\"}]\n}", "one").size(),
            1u);
}

TEST(ScriptFormat, ErrorTurns) {
  auto e = [](const std::string& error) { return *parse_script_turn(json::parse(error), 1).error; };
  EXPECT_EQ(e(R"({"error":{"status":429,"retry_after":2}})").kind, ModelErrorKind::rate_limited);
  EXPECT_EQ(e(R"({"error":{"status":429,"retry_after":2}})").retry_after,
            std::chrono::milliseconds(2000));
  EXPECT_EQ(e(R"({"error":{"status":429,"retry_after_ms":150}})").retry_after,
            std::chrono::milliseconds(150));
  EXPECT_EQ(e(R"({"error":{"status":500}})").kind, ModelErrorKind::server);
  EXPECT_EQ(e(R"({"error":{"status":400}})").kind, ModelErrorKind::request_failed);
  EXPECT_EQ(e(R"({"error":{"status":503,"type":"overloaded_error"}})").kind,
            ModelErrorKind::overloaded);
  EXPECT_EQ(e(R"({"error":{"kind":"network","message":"reset"}})").kind, ModelErrorKind::network);
  EXPECT_EQ(e(R"({"error":{"kind":"network"}})").status, 0);
  EXPECT_TRUE(contains(e(R"({"error":{"status":529}})").message, "HTTP 529"));
}

TEST(ScriptFormat, ProblemsNameTheFileLineAndTurn) {
  EXPECT_TRUE(contains(what_of([] { parse_script("", "empty.json"); }), "'empty.json': is empty"));
  auto bad_line = what_of([] { parse_script("{\"content\":[]}\n{oops\n", "s.jsonl"); });
  EXPECT_TRUE(contains(bad_line, "'s.jsonl': line 2: not valid JSON")) << bad_line;
  auto bad_turn = what_of([] {
    parse_script(R"({"turns":[{"content":[]},{"content":[{"type":"tool_use"}]}]})", "s.json");
  });
  EXPECT_TRUE(contains(bad_turn, "'s.json': turn 2: content[0] (tool_use) needs a string 'name'"))
      << bad_turn;
  auto typo = what_of([] { parse_script(R"({"content":[],"stop_reson":"x"})", "t"); });
  EXPECT_TRUE(contains(typo, "unknown key 'stop_reson'")) << typo;
  auto server_only = what_of([] { parse_script(R"({"content":[],"cut_after":2})", "t"); });
  EXPECT_TRUE(contains(server_only, "model_server.mjs")) << server_only;
  auto no_status = what_of([] { parse_script(R"({"error":{"message":"x"}})", "t"); });
  EXPECT_TRUE(contains(no_status, "needs a 'status' or a 'kind'")) << no_status;
  auto both = what_of([] { parse_script(R"({"error":{"status":500},"content":[]})", "t"); });
  EXPECT_TRUE(contains(both, "either 'error' or a reply")) << both;
  EXPECT_TRUE(contains(what_of([] { parse_script(R"({"turns":[]})", "t"); }), "has no turns"));
  EXPECT_TRUE(contains(what_of([] { parse_script(R"({"turns":{}})", "t"); }), "must be an array"));
  EXPECT_TRUE(contains(what_of([] { parse_script(R"({"content":"x"})", "t"); }),
                       "content must be an array"));
  EXPECT_TRUE(contains(what_of([] { parse_script(R"({"delay_ms":-1})", "t"); }), "delay_ms"));
  EXPECT_TRUE(contains(what_of([] { parse_script(R"({"error":{"kind":"interrupted"}})", "t"); }),
                       "error.kind must be one of"));
  EXPECT_TRUE(contains(what_of([] { load_script("/nonexistent/cove/script.json"); }),
                       "'/nonexistent/cove/script.json' cannot be read"));
}

TEST(ScriptFormat, RepliesAndErrorsRoundTrip) {
  ModelReply reply;
  reply.content = json::parse(R"([{"type":"thinking","thinking":"a","signature":"s"},
      {"type":"redacted_thinking","data":"d"},{"type":"text","text":"t"},
      {"type":"tool_use","id":"toolu_9","name":"x","input":{"k":[1,2]}},
      {"type":"server_tool_use","id":"s1","name":"web_search","input":{}}])");
  reply.stop_reason = "pause_turn";
  reply.usage = {1, 2, 3, 4};
  auto back = parse_script_turn(script_turn_json(reply), 1).reply;
  ASSERT_TRUE(back);
  EXPECT_EQ(back->content, reply.content);
  EXPECT_EQ(back->stop_reason, "pause_turn");
  EXPECT_EQ(back->usage.cache_read_input_tokens, 4);

  ModelError error(ModelErrorKind::rate_limited, "slow down", 429, std::chrono::milliseconds(1234));
  auto again = script_error(*parse_script_turn(script_turn_json(error), 1).error);
  EXPECT_EQ(again.kind(), ModelErrorKind::rate_limited);
  EXPECT_EQ(again.status(), 429);
  EXPECT_EQ(again.retry_after(), std::chrono::milliseconds(1234));
  EXPECT_STREQ(again.what(), "slow down");
  ModelError network(ModelErrorKind::network, "connection refused");
  auto net_again = script_error(*parse_script_turn(script_turn_json(network), 1).error);
  EXPECT_EQ(net_again.kind(), ModelErrorKind::network);
  EXPECT_EQ(net_again.status(), 0);
}

TEST(ScriptFormat, SplitForStreamKeepsCharactersWhole) {
  EXPECT_TRUE(split_for_stream("").empty());
  EXPECT_EQ(split_for_stream("ab").size(), 2u);
  auto ascii = split_for_stream("abcdefghi");
  EXPECT_EQ(ascii, (std::vector<std::string_view>{"abc", "def", "ghi"}));
  std::string text = "ééé✓✓✓";  // 2- and 3-byte characters
  for (std::size_t pieces = 1; pieces <= 8; ++pieces) {
    std::string joined;
    for (auto piece : split_for_stream(text, pieces)) {
      ASSERT_FALSE(piece.empty());
      EXPECT_NE(static_cast<unsigned char>(piece[0]) & 0xC0, 0x80) << "split inside a character";
      joined += piece;
    }
    EXPECT_EQ(joined, text);
  }
}

// ------------------------------------------------------------------------------------------
// Scripted provider

struct Seen {
  std::vector<std::string> events;
  StreamSink sink() {
    return {[this](int i, std::string_view t) {
              events.push_back("start " + std::to_string(i) + " " + std::string(t));
            },
            [this](int i, std::string_view t) {
              events.push_back("text " + std::to_string(i) + " " + std::string(t));
            }};
  }
};

TEST(ScriptedProvider, PlaysTurnsInOrderAndStreamsText) {
  boost::asio::io_context ctx;
  auto provider = make_scripted_provider("demo.json", parse_script(two_turns, "demo.json"));
  Seen seen;
  auto sink = seen.sink();
  auto first = block_on(ctx, provider->complete(any_request(), sink, {}));
  EXPECT_EQ(first.stop_reason, "tool_use");
  EXPECT_EQ(first.content[1]["input"]["command"], "ls");
  EXPECT_EQ(seen.events, (std::vector<std::string>{"start 0 text", "text 0 Let ", "text 0 me l",
                                                   "text 0 ook.", "start 1 tool_use"}));
  seen.events.clear();
  auto second = block_on(ctx, provider->complete(any_request(), sink, {}));
  EXPECT_EQ(second.content[0]["text"], "Done: ✓ ünïcödé");
  EXPECT_GT(seen.events.size(), 2u);  // several deltas
  std::string joined;
  for (auto& e : seen.events)
    if (e.rfind("text 0 ", 0) == 0) joined += e.substr(7);
  EXPECT_EQ(joined, "Done: ✓ ünïcödé");

  try {
    block_on(ctx, provider->complete(any_request(), sink, {}));
    FAIL() << "a third call should fail";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.kind(), ModelErrorKind::request_failed);
    EXPECT_TRUE(contains(e.what(), "'demo.json' has 2 turns; request 3 has none left")) << e.what();
  }
}

TEST(ScriptedProvider, ErrorTurnsFailThatCall) {
  boost::asio::io_context ctx;
  auto provider = make_scripted_provider(
      "e", parse_script("{\"error\":{\"status\":429,\"retry_after\":1,\"message\":\"wait\"}}\n"
                        "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}\n",
                        "e"));
  StreamSink sink;
  try {
    block_on(ctx, provider->complete(any_request(), sink, {}));
    FAIL() << "the error turn should fail";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.kind(), ModelErrorKind::rate_limited);
    EXPECT_EQ(e.status(), 429);
    EXPECT_EQ(e.retry_after(), std::chrono::milliseconds(1000));
    EXPECT_STREQ(e.what(), "wait");
  }
  EXPECT_EQ(block_on(ctx, provider->complete(any_request(), sink, {})).content[0]["text"], "ok");
}

TEST(ScriptedProvider, StopTokenCutsADelayShort) {
  boost::asio::io_context ctx;
  auto provider =
      make_scripted_provider("slow", parse_script(R"({"delay_ms":30000,"content":[]})", "slow"));
  StreamSink sink;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();  // from another thread, as the session manager may
  });
  auto started = std::chrono::steady_clock::now();
  try {
    block_on(ctx, provider->complete(any_request(), sink, stop.get_token()));
    ADD_FAILURE() << "expected an interrupt";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.kind(), ModelErrorKind::interrupted);
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  std::stop_source already;
  already.request_stop();
  auto fresh = make_scripted_provider("x", parse_script(R"({"content":[]})", "x"));
  try {
    block_on(ctx, fresh->complete(any_request(), sink, already.get_token()));
    ADD_FAILURE() << "expected an interrupt";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.kind(), ModelErrorKind::interrupted);
  }
}

TEST(ScriptedProvider, CostPerTurnIsFarBelowATenthOfAMillisecond) {
  constexpr int n = 20000;
  std::string script = "{\"turns\":[";
  for (int i = 0; i < n; ++i)
    script += std::string(i ? "," : "") +
              R"({"content":[{"type":"text","text":"I will run the tests now and report back."},
                 {"type":"tool_use","name":"bash","input":{"command":"make test"}}],
                 "usage":{"input_tokens":1200,"output_tokens":40}})";
  script += "]}";
  boost::asio::io_context ctx;
  auto provider = make_scripted_provider("bench", parse_script(script, "bench"));
  Seen seen;
  auto sink = seen.sink();
  auto request = any_request();
  auto started = std::chrono::steady_clock::now();
  std::stop_token never;
  block_on(ctx, [&]() -> Task<void> {
    for (int i = 0; i < n; ++i) {
      auto reply = co_await provider->complete(request, sink, never);
      if (reply.content.size() != 2) throw std::runtime_error("wrong reply");
      seen.events.clear();
    }
  }());
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
                  .count() /
              n;
  std::cout << "scripted provider: " << us << " us per turn (" << n << " turns)\n";
  EXPECT_LT(us, 100.0);
}

// ------------------------------------------------------------------------------------------
// Recording and make_provider

TEST(Recording, RecordThenReplayGivesIdenticalRepliesAndErrors) {
  ScriptDir dir;
  dir.write("source.jsonl",
            "{\"error\":{\"status\":529,\"message\":\"Overloaded\"}}\n"
            "{\"content\":[{\"type\":\"text\",\"text\":\"hello\"},{\"type\":\"tool_use\","
            "\"name\":\"read\",\"input\":{\"file_path\":\"a\"}}],\"usage\":{\"input_tokens\":3}}\n"
            "{\"error\":{\"kind\":\"network\",\"message\":\"connection reset\"}}\n"
            "{\"content\":[{\"type\":\"thinking\",\"thinking\":\"t\",\"signature\":\"s\"}],"
            "\"stop_reason\":\"end_turn\"}\n");
  boost::asio::io_context ctx;
  ProviderConfig config;
  config.scripts_dir = dir.path().string();
  config.record_dir = (dir.path() / "recordings").string();  // created on demand
  StreamSink sink;

  auto play = [&](Provider& p) {
    std::vector<std::string> outcomes;
    for (int i = 0; i < 4; ++i) {
      try {
        auto reply = block_on(ctx, p.complete(any_request(), sink, {}));
        outcomes.push_back(script_turn_json(reply).dump());
      } catch (const ModelError& e) {
        outcomes.push_back(script_turn_json(e).dump());
      }
    }
    return outcomes;
  };
  auto original =
      play(*make_provider(ctx.get_executor(), config, "scripted:source.jsonl", "sesn_1"));
  auto recording = dir.path() / "recordings" / "sesn_1.jsonl";
  ASSERT_TRUE(fs::exists(recording));

  config.record_dir.clear();
  config.scripts_dir = (dir.path() / "recordings").string();
  auto replayed = play(*make_provider(ctx.get_executor(), config, "scripted:sesn_1.jsonl", "s2"));
  EXPECT_EQ(original, replayed);
  EXPECT_TRUE(contains(original[0], "\"overloaded\""));
  EXPECT_TRUE(contains(original[2], "\"network\""));
}

TEST(Recording, InterruptsAreNotRecorded) {
  ScriptDir dir;
  dir.write("slow.json", R"({"delay_ms":30000,"content":[]})");
  boost::asio::io_context ctx;
  ProviderConfig config;
  config.scripts_dir = dir.path().string();
  config.record_dir = dir.path().string();
  auto provider = make_provider(ctx.get_executor(), config, "scripted:slow.json", "sesn_i");
  std::stop_source stop;
  stop.request_stop();
  StreamSink sink;
  EXPECT_THROW(block_on(ctx, provider->complete(any_request(), sink, stop.get_token())),
               ModelError);
  EXPECT_EQ(fs::file_size(dir.path() / "sesn_i.jsonl"), 0u);
}

TEST(MakeProvider, ScriptNamesMustStayInsideTheScriptsDirectory) {
  ScriptDir dir;
  dir.write("ok.json", R"({"content":[]})");
  boost::asio::io_context ctx;
  ProviderConfig config;
  config.scripts_dir = (dir.path() / "scripts").string();
  fs::create_directory(dir.path() / "scripts");
  dir.write("scripts/ok.json", R"({"content":[]})");
  EXPECT_NO_THROW(make_provider(ctx.get_executor(), config, "scripted:ok.json", "s"));
  for (const char* name : {"scripted:../ok.json", "scripted:..", "scripted:.",
                           "scripted:", "scripted:/etc/passwd", "scripted:sub/ok.json"}) {
    auto why = what_of([&] { make_provider(ctx.get_executor(), config, name, "s"); });
    EXPECT_TRUE(contains(why, "plain file name") || contains(why, "names a path") ||
                contains(why, "names no model") || contains(why, "is empty"))
        << name << ": " << why;
  }
  // Inside the directory, but missing: the message names the file.
  auto missing =
      what_of([&] { make_provider(ctx.get_executor(), config, "scripted:no.json", "s"); });
  EXPECT_TRUE(contains(missing, "no.json' cannot be read")) << missing;
  config.scripts_dir.clear();
  EXPECT_TRUE(
      contains(what_of([&] { make_provider(ctx.get_executor(), config, "scripted:ok.json", "s"); }),
               "needs a scripts directory"));
}

TEST(MakeProvider, PrefixesAndConfiguration) {
  ScriptDir dir;
  auto script = dir.write("main.json", R"({"content":[{"type":"text","text":"from config"}]})");
  dir.write("bad.jsonl", "{\"content\":[]}\n{\"content\":[{\"type\":\"text\"}]}\n");
  boost::asio::io_context ctx;
  auto ex = ctx.get_executor();
  ProviderConfig config;
  EXPECT_NO_THROW(make_provider(ex, config, "claude-sonnet-4-6", "s"));
  EXPECT_NO_THROW(make_provider(ex, config, "openai:gpt-4o", "s"));
  EXPECT_NO_THROW(make_provider(ex, config, "anthropic:claude-x", "s"));
  // Colons that are not a known prefix belong to the model name (Ollama tags).
  config.provider = "openai";
  EXPECT_NO_THROW(make_provider(ex, config, "qwen2.5:7b", "s"));
  EXPECT_TRUE(
      contains(what_of([&] { make_provider(ex, config, "openai:", "s"); }), "names no model"));

  config.provider = "scripted";
  EXPECT_TRUE(
      contains(what_of([&] { make_provider(ex, config, "claude", "s"); }), "needs a script"));
  config.script = script.string();
  auto provider = make_provider(ex, config, "claude-anything", "s");
  StreamSink sink;
  EXPECT_EQ(block_on(ctx, provider->complete(any_request(), sink, {})).content[0]["text"],
            "from config");
  config.scripts_dir = dir.path().string();
  config.script = "main.json";  // a bare name is looked up in scripts_dir
  EXPECT_NO_THROW(make_provider(ex, config, "claude", "s"));
  auto bad = what_of([&] { make_provider(ex, config, "scripted:bad.jsonl", "s"); });
  EXPECT_TRUE(contains(bad, "bad.jsonl") && contains(bad, "line 2 (turn 2)") &&
              contains(bad, "needs a string 'text'"))
      << bad;

  config.provider = "gemini";
  EXPECT_TRUE(contains(what_of([&] { make_provider(ex, config, "m", "s"); }),
                       "unknown model provider 'gemini'"));
  config.provider = "anthropic";
  config.anthropic_base_url = "ftp://nope";
  EXPECT_TRUE(contains(what_of([&] { make_provider(ex, config, "m", "s"); }),
                       "anthropic base URL 'ftp://nope'"));
  config.anthropic_base_url = "http://127.0.0.1:1";
  config.record_dir = dir.path().string();
  EXPECT_TRUE(
      contains(what_of([&] { make_provider(ex, config, "m", "../x"); }), "plain file name"));
  EXPECT_NO_THROW(make_provider(ex, config, "m", "sesn_ok"));
}

TEST(MakeProvider, ModelNameDropsOnlyProviderPrefixes) {
  EXPECT_EQ(model_name("claude-sonnet-4-6"), "claude-sonnet-4-6");
  EXPECT_EQ(model_name("anthropic:claude-x"), "claude-x");
  EXPECT_EQ(model_name("openai:qwen2.5:7b"), "qwen2.5:7b");
  EXPECT_EQ(model_name("qwen2.5:7b"), "qwen2.5:7b");
  EXPECT_EQ(model_name("scripted:demo.json"), "demo.json");
  EXPECT_EQ(model_name("anthropic.claude-v2:1"), "anthropic.claude-v2:1");
}

TEST(MakeProvider, ProviderNameIsThePrefixElseTheConfiguredOne) {
  ProviderConfig config;
  config.provider = "openai";
  config.anthropic_base_url = "http://anthropic.test";
  config.openai_base_url = "http://openai.test";
  EXPECT_EQ(provider_name(config, "anthropic:claude-x"), "anthropic");
  EXPECT_EQ(provider_name(config, "scripted:demo.json"), "scripted");
  EXPECT_EQ(provider_name(config, "claude-x"), "openai");
  EXPECT_EQ(provider_name(config, "qwen2.5:7b"), "openai");  // not a provider prefix
  EXPECT_EQ(provider_base_url(config, "anthropic"), "http://anthropic.test");
  EXPECT_EQ(provider_base_url(config, "openai"), "http://openai.test");
  EXPECT_EQ(provider_base_url(config, "scripted"), "");
  EXPECT_EQ(provider_base_url(config, "gemini"), "");
}

TEST(MakeProvider, ConfigFromEnvironment) {
  ::setenv("COVE_MODEL_PROVIDER", "openai", 1);
  ::setenv("COVE_MODEL_BASE_URL", "http://127.0.0.1:9/", 1);
  ::setenv("COVE_MODEL_API_KEY", "", 1);  // empty counts as unset
  ::setenv("ANTHROPIC_API_KEY", "ak", 1);
  ::setenv("COVE_OPENAI_BASE_URL", "http://127.0.0.1:8/v1", 1);
  ::setenv("COVE_OPENAI_API_KEY", "ok", 1);
  ::setenv("COVE_MODEL_SCRIPTS_DIR", "/scripts", 1);
  ::setenv("COVE_MODEL_SCRIPT", "demo.json", 1);
  ::setenv("COVE_MODEL_RECORD_DIR", "/rec", 1);
  auto c = provider_config_from_env();
  EXPECT_EQ(c.provider, "openai");
  EXPECT_EQ(c.anthropic_base_url, "http://127.0.0.1:9/");
  EXPECT_EQ(c.anthropic_api_key, "ak");
  EXPECT_EQ(c.openai_base_url, "http://127.0.0.1:8/v1");
  EXPECT_EQ(c.openai_api_key, "ok");
  EXPECT_EQ(c.scripts_dir, "/scripts");
  EXPECT_EQ(c.script, "demo.json");
  EXPECT_EQ(c.record_dir, "/rec");
  ::setenv("COVE_MODEL_API_KEY", "ck", 1);
  EXPECT_EQ(provider_config_from_env().anthropic_api_key, "ck");  // COVE_ first
  for (const char* name : {"COVE_MODEL_PROVIDER", "COVE_MODEL_BASE_URL", "COVE_MODEL_API_KEY",
                           "ANTHROPIC_API_KEY", "COVE_OPENAI_BASE_URL", "COVE_OPENAI_API_KEY",
                           "COVE_MODEL_SCRIPTS_DIR", "COVE_MODEL_SCRIPT", "COVE_MODEL_RECORD_DIR"})
    ::unsetenv(name);
  auto defaults = provider_config_from_env();
  EXPECT_EQ(defaults.provider, "anthropic");
  EXPECT_EQ(defaults.anthropic_base_url, "https://api.anthropic.com");
}

}  // namespace

namespace {

TEST(ModelConfig, ProblemsAreFoundBeforeAnyRequest) {
  ScriptDir dir;
  auto good = dir.write("good.json", R"({"content":[{"type":"text","text":"hi"}]})");
  auto bad = dir.write("bad.json", R"({"content":[{"type":"tool_use"}]})");
  ProviderConfig config;
  auto no_key = config_problem(config);
  ASSERT_TRUE(no_key);
  EXPECT_TRUE(contains(*no_key, "no API key for the Anthropic API: set ANTHROPIC_API_KEY"))
      << *no_key;
  config.anthropic_api_key = "ak";
  EXPECT_FALSE(config_problem(config));
  EXPECT_FALSE(config_problem(config, "openai:gpt-4o"));
  config.anthropic_api_key.clear();
  config.anthropic_base_url = "http://127.0.0.1:9";  // a local model server needs no key
  EXPECT_FALSE(config_problem(config));

  config.provider = "bogus";
  EXPECT_TRUE(contains(config_problem(config).value_or(""), "unknown model provider 'bogus'"));
  config.provider = "scripted";
  EXPECT_TRUE(contains(config_problem(config).value_or(""), "needs a script"));
  config.script = bad.string();
  EXPECT_TRUE(contains(config_problem(config).value_or(""), "bad.json"));
  config.script = (dir.path() / "missing.json").string();
  EXPECT_TRUE(contains(config_problem(config).value_or(""), "missing.json"));
  config.script = good.string();
  EXPECT_FALSE(config_problem(config));
}

TEST(ModelConfig, ScriptPathsOnlyWhereTheOperatorIsTheClient) {
  ScriptDir dir;
  auto good = dir.write("good.json", R"({"content":[{"type":"text","text":"hi"}]})");
  ProviderConfig config;
  config.scripts_dir = (dir.path() / "scripts").string();
  auto refused = config_problem(config, "scripted:" + good.string());
  ASSERT_TRUE(refused);
  EXPECT_TRUE(contains(*refused, "names a path; this daemon reads scripts only from")) << *refused;
  config.allow_script_paths = true;
  EXPECT_FALSE(config_problem(config, "scripted:" + good.string()));
  boost::asio::io_context ctx;
  EXPECT_NO_THROW(make_provider(ctx.get_executor(), config, "scripted:" + good.string(), "s"));
  EXPECT_EQ(describe_model(config, "scripted:" + good.string()), "script good.json");
  EXPECT_EQ(describe_model(config, "claude-x"), "anthropic claude-x at https://api.anthropic.com");
}

TEST(ModelConfig, ACoveKeyIsNeverTheModelKey) {
  ProviderConfig config;
  config.anthropic_api_key = "sk-cove-0123";
  forget_cove_key(config);
  EXPECT_EQ(config.anthropic_api_key, "");
  config.anthropic_api_key = "daemon-key";
  forget_cove_key(config, "daemon-key");
  EXPECT_EQ(config.anthropic_api_key, "");
  config.anthropic_api_key = "sk-ant-real";
  forget_cove_key(config, "daemon-key");
  EXPECT_EQ(config.anthropic_api_key, "sk-ant-real");

  ::setenv("ANTHROPIC_API_KEY", "sk-cove-exported-for-the-sdk", 1);
  auto from_env = provider_config_from_env();
  EXPECT_EQ(from_env.anthropic_api_key, "");
  EXPECT_EQ(from_env.refused_key_variable, "ANTHROPIC_API_KEY");
  EXPECT_TRUE(
      contains(config_problem(from_env).value_or(""), "ANTHROPIC_API_KEY holds a cove API key"));
  ::setenv("COVE_MODEL_API_KEY", "sk-ant-real", 1);
  EXPECT_EQ(provider_config_from_env().anthropic_api_key, "sk-ant-real");
  ::unsetenv("COVE_MODEL_API_KEY");
  ::unsetenv("ANTHROPIC_API_KEY");
}

TEST(ModelConfig, AScriptAloneSelectsTheScriptedProvider) {
  ::setenv("COVE_MODEL_SCRIPT", "/tmp/turns.json", 1);
  EXPECT_EQ(provider_config_from_env().provider, "scripted");
  ::setenv("COVE_MODEL_PROVIDER", "openai", 1);  // an explicit provider wins
  EXPECT_EQ(provider_config_from_env().provider, "openai");
  ::unsetenv("COVE_MODEL_PROVIDER");
  ::unsetenv("COVE_MODEL_SCRIPT");
}

}  // namespace
