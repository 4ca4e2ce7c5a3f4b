// Readable live progress of a session for the terminal: set-up steps, the agent's text as it
// streams, tool calls with a short result, errors, and token usage at the end of a turn.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace cove::client {

using json = nlohmann::json;

class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool color);

  // Prints one event. Returns false once the session has stopped working (idle or
  // terminated); stop_reason() then says why.
  bool print(const json& event);
  const std::string& stop_reason() const { return stop_reason_; }
  int errors() const { return errors_; }

 private:
  void line(const std::string& mark, const std::string& text, const char* color = nullptr);
  void end_text();

  std::ostream& out_;
  bool color_;
  bool in_text_ = false;
  std::string streamed_message_;  // id of the agent.message whose text was streamed
  std::string stop_reason_;
  int errors_ = 0;
  bool retried_ = false;  // a retry was seen: retries_exhausted is then what happened
  int64_t input_tokens_ = 0;
  int64_t output_tokens_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The first line of a tool result, shortened to `width` characters.
std::string short_result(const json& content, std::size_t width = 100);

}  // namespace cove::client
