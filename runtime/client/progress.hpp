// Readable progress of a session for the terminal: set-up steps, the agent's text as it
// streams, tool calls with a short result, errors, and each turn's token usage and duration.
// `cove run` and `cove attach` print a live session with it, `cove logs` a session's history.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

namespace cove::client {

using json = nlohmann::json;

class ProgressPrinter {
 public:
  // `color`: ANSI colours (never when NO_COLOR is set). `user_events`: also print what the
  // user sent (messages, interrupts, confirmations), for a history read back.
  ProgressPrinter(std::ostream& out, bool color, bool user_events = false);

  // Prints one event. Returns false once the session has stopped working (idle or
  // terminated); stop_reason() then says why.
  bool print(const json& event);
  // The stream was reconnected: a message whose text was streaming is printed whole when it
  // arrives, since its remaining previews were lost.
  void resumed();
  const std::string& stop_reason() const { return stop_reason_; }
  int errors() const { return errors_; }

 private:
  void line(const std::string& mark, const std::string& text, const char* color = nullptr);
  void end_text();
  void print_user(const std::string& type, const json& event);
  void end_turn(const std::string& type, const json& event);

  std::ostream& out_;
  bool color_;
  bool user_events_;
  bool in_text_ = false;
  std::string streamed_message_;  // id of the agent.message whose text was streamed
  std::string stop_reason_;
  int errors_ = 0;
  bool retried_ = false;  // a retry was seen: retries_exhausted is then what happened
  int64_t input_tokens_ = 0;
  int64_t output_tokens_ = 0;
  // The turn's start: the session.status_running event's time when it was seen (a history
  // read back), else when the printer started or printed the last turn's end.
  std::optional<int64_t> turn_started_ms_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The first line of a tool result, shortened to `width` characters.
std::string short_result(const json& content, std::size_t width = 100);

}  // namespace cove::client
