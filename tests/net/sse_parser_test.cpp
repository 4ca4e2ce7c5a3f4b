#include "net/sse_parser.hpp"

#include <gtest/gtest.h>

using cove::net::SseEvent;
using cove::net::SseParser;

namespace {

std::vector<SseEvent> feed_bytewise(SseParser& p, std::string_view text) {
  std::vector<SseEvent> all;
  for (char c : text)
    for (auto& e : p.feed(std::string_view(&c, 1)))
      all.push_back(std::move(e));
  return all;
}

}  // namespace

TEST(SseParser, EventsIdsAndMultiLineData) {
  SseParser p;
  auto events = p.feed(
      "event: message\nid: 7\ndata: {\"a\":1}\n\n: keep-alive comment\n\ndata: line one\ndata: "
      "line two\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].type, "");
  EXPECT_EQ(events[1].data, "line one\nline two");
  EXPECT_EQ(events[1].id, "7");  // the last id stays in force
  EXPECT_EQ(p.last_event_id(), "7");
}

TEST(SseParser, PrimingEventWithEmptyDataKeepsItsId) {
  SseParser p;
  auto events = p.feed("id: prime-1\ndata: \n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_TRUE(p.has_event_id());
  EXPECT_EQ(p.last_event_id(), "prime-1");
}

TEST(SseParser, IdWithoutDataUpdatesResumePointOnly) {
  SseParser p;
  EXPECT_TRUE(p.feed("id: 42\n\n").empty());
  EXPECT_EQ(p.last_event_id(), "42");
}

TEST(SseParser, AnyChunkingAndLineEndingGivesTheSameEvents) {
  const std::string lf = "retry: 500\nid: a\ndata: x\ndata:y\n\nevent: endpoint\ndata: /m?s=1\n\n";
  for (std::string text :
       {lf,
        std::string("retry: 500\r\nid: a\r\ndata: x\r\ndata:y\r\n\r\nevent: endpoint\r\ndata: "
                    "/m?s=1\r\n\r\n"),
        std::string("retry: 500\rid: a\rdata: x\rdata:y\r\revent: endpoint\rdata: /m?s=1\r\r")}) {
    SseParser whole, bytewise;
    auto a = whole.feed(text);
    auto b = feed_bytewise(bytewise, text);
    ASSERT_EQ(a.size(), 2u) << text;
    ASSERT_EQ(b.size(), 2u) << text;
    for (const auto* events : {&a, &b}) {
      EXPECT_EQ((*events)[0].data, "x\ny");
      EXPECT_EQ((*events)[0].id, "a");
      EXPECT_EQ((*events)[1].type, "endpoint");
      EXPECT_EQ((*events)[1].data, "/m?s=1");
    }
    EXPECT_EQ(whole.retry_ms(), 500);
    EXPECT_EQ(bytewise.retry_ms(), 500);
  }
}

TEST(SseParser, IncompleteEventIsHeldUntilBlankLine) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: par").empty());
  EXPECT_TRUE(p.feed("tial\n").empty());
  auto events = p.feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial");
}

TEST(SseParser, BadRetryIgnoredBomDroppedFieldWithoutColon) {
  SseParser p;
  auto events = p.feed("\xEF\xBB\xBFretry: soon\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_FALSE(p.retry_ms().has_value());
}
