// Events: the one shape of server events, and user events validated with named fields.
#include "runtime/domain/event.hpp"

#include <gtest/gtest.h>

#include "runtime/domain/session.hpp"
#include "runtime/domain/user_event.hpp"
#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

TEST(ServerEvent, CarriesIdTypeProcessedAtAndItsFields) {
  json e = server_event(event_type::kSessionStatusIdle, "sevt_1", "t",
                        idle_fields({{"type", stop_reason::kEndTurn}}));
  EXPECT_EQ(e, (json{{"id", "sevt_1"},
                     {"type", "session.status_idle"},
                     {"processed_at", "t"},
                     {"stop_reason", {{"type", "end_turn"}}},
                     {"stop_details", nullptr}}));
  auto parsed = e.get<ServerEvent>();
  EXPECT_EQ(parsed.type, "session.status_idle");
  EXPECT_FALSE(parsed.fields.contains("id"));
  EXPECT_EQ(json(parsed), e);
}

TEST(ServerEvent, SessionErrorFields) {
  json f = session_error_fields(session_error::kUnknown, "boom", session_error::kExhausted,
                                {{"repository_url", "u"}});
  EXPECT_EQ(f, (json{{"error",
                      {{"type", "unknown_error"},
                       {"message", "boom"},
                       {"retry_status", {{"type", "exhausted"}}},
                       {"repository_url", "u"}}}}));
  EXPECT_EQ(repository_error_type("clone"), "repository_clone_error");
}

TEST(UserEvent, DefaultsAndMessagesNamingTheField) {
  json outcome = {
      {"type", "user.define_outcome"}, {"description", "d"}, {"rubric", json::object()}};
  EXPECT_EQ(parse_user_event(outcome, "events[0]").body["max_iterations"], 3);
  json text = {{"type", "user.message"}, {"content", {{{"type", "text"}, {"text", 7}}}}};
  EXPECT_EQ(refusal([&] { parse_user_event(text, "events[0]"); }),
            "events[0].content[0].text must be a string, got a number");
  json allow = {{"type", "user.tool_confirmation"},
                {"tool_use_id", "x"},
                {"result", "allow"},
                {"deny_message", "no"}};
  EXPECT_EQ(refusal([&] { parse_user_event(allow, "events[1]"); }),
            "events[1].deny_message is only allowed with result deny");
  EXPECT_EQ(refusal([] {
              parse_user_event({{"type", "agent.message"}}, "events[0]");
            }),
            "events[0].type must be user.message, user.interrupt, user.tool_confirmation, "
            "user.custom_tool_result, user.tool_result, user.define_outcome or system.message");
}

TEST(Session, RoundTripsWithItsDefaults) {
  Session s;
  s.id = "sesn_1";
  s.environment_id = "env_1";
  s.agent.id = "agent_1";
  s.agent.name = "a";
  s.agent.config.model.id = "m";
  json wire = s;
  EXPECT_EQ(wire["status"], "idle");
  EXPECT_TRUE(wire["budget"].is_null() && wire["title"].is_null());
  EXPECT_EQ(wire["stats"], (json{{"active_seconds", 0}, {"duration_seconds", 0}}));
  EXPECT_EQ(wire["vault_ids"], json::array());
  EXPECT_EQ(json(wire.get<Session>()), wire);
}

}  // namespace
}  // namespace cove::domain
