#include "runtime/client/progress.hpp"

#include <cstdio>

#include "base/clock.hpp"
#include "runtime/client/terminal.hpp"
#include "runtime/domain/event_types.hpp"

namespace cove::client {

namespace event_type = domain::event_type;

namespace {

std::string shorten(std::string s, std::size_t width) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  return s;
}

std::string input_summary(const json& input) {
  if (input.is_object()) {
    for (const char* key : {"command", "file_path", "pattern", "url", "query"})
      if (input.contains(key) && input[key].is_string()) return input[key].get<std::string>();
  }
  return input.dump();
}

}  // namespace

std::string short_result(const json& content, std::size_t width) {
  std::string text;
  if (content.is_array())
    for (const auto& b : content)
      if (b.value("type", "") == "text") {
        text = b.value("text", "");
        break;
      }
  auto nl = text.find('\n');
  std::size_t lines = 0;
  for (char c : text)
    lines += c == '\n';
  std::string first = text.substr(0, nl);
  if (nl != std::string::npos && lines > 1) first += " (+" + std::to_string(lines) + " lines)";
  return shorten(first, width);
}

ProgressPrinter::ProgressPrinter(std::ostream& out, bool color, bool user_events)
    : out_(out), color_(color && !no_color()), user_events_(user_events) {}

void ProgressPrinter::resumed() {
  end_text();
  streamed_message_.clear();
}

void ProgressPrinter::end_text() {
  if (in_text_) out_ << "\n";
  in_text_ = false;
}

void ProgressPrinter::line(const std::string& mark, const std::string& text, const char* color) {
  end_text();
  if (color_ && color)
    out_ << color << mark << "\033[0m " << text << "\n";
  else
    out_ << mark << " " << text << "\n";
  out_.flush();
}

bool ProgressPrinter::print(const json& e) {
  static const char* dim = "\033[2m";
  static const char* cyan = "\033[36m";
  static const char* green = "\033[32m";
  static const char* red = "\033[31m";
  static const char* bold = "\033[1m";
  std::string type = e.value("type", "");
  if (type == "event_start") {
    if (e["event"].value("type", "") == event_type::kAgentMessage) {
      end_text();
      streamed_message_ = e["event"].value("id", "");
      out_ << (color_ ? "\033[1magent\033[0m " : "agent ");
      in_text_ = true;
    }
  } else if (type == "event_delta") {
    const json& c = e["delta"].value("content", json::object());
    out_ << c.value("text", "");
    out_.flush();
  } else if (type == event_type::kAgentMessage) {
    if (e.value("id", "") == streamed_message_) {
      end_text();
      return true;
    }
    std::string text;
    for (const auto& b : e.value("content", json::array()))
      text += b.value("text", "");
    line(color_ ? "agent" : "agent", text, bold);
  } else if (type == event_type::kSpanSetupStepEnd) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", e.value("duration_ms", 0.0));
    std::string text =
        "set up " + e.value("step", "") + " " + e.value("name", "") + " (" + ms + ")";
    if (e.value("is_error", false)) text += ": " + e.value("error", "");
    line("  ·", text, dim);
  } else if (type == event_type::kAgentToolUse || type == event_type::kAgentMcpToolUse ||
             type == event_type::kAgentCustomToolUse) {
    std::string name = e.value("name", "");
    if (type == event_type::kAgentMcpToolUse) name = e.value("mcp_server_name", "") + "/" + name;
    std::string text = name + "  " + shorten(input_summary(e.value("input", json())), 100);
    if (e.value("evaluated_permission", "") == "ask") text += "  (waiting for confirmation)";
    if (e.value("evaluated_permission", "") == "deny") text += "  (denied)";
    line("▸", text, cyan);
  } else if (type == event_type::kAgentToolResult || type == event_type::kAgentMcpToolResult) {
    bool error = e.value("is_error", false);
    line(error ? "  ✗" : "  ✓", short_result(e.value("content", json())), error ? red : green);
  } else if (type == event_type::kSessionError) {
    ++errors_;
    const json& err = e.value("error", json::object());
    line("!", err.value("type", "error") + ": " + err.value("message", ""), red);
  } else if (type == event_type::kSpanModelRequestEnd) {
    const json& u = e.value("model_usage", json::object());
    input_tokens_ += u.value("input_tokens", int64_t{0});
    output_tokens_ += u.value("output_tokens", int64_t{0});
  } else if (type == event_type::kSessionStatusRescheduled) {
    retried_ = true;
    line("  ↻", "model request failed; retrying", dim);
  } else if (type == event_type::kSessionStatusRunning) {
    // A turn retried after a failed model request runs again; it started the first time.
    if (!turn_started_ms_) turn_started_ms_ = parse_rfc3339(e.value("processed_at", ""));
  } else if (type == event_type::kSessionStatusIdle ||
             type == event_type::kSessionStatusTerminated || type == event_type::kSessionDeleted) {
    end_turn(type, e);
    return false;
  } else if (user_events_ && type.rfind("user.", 0) == 0) {
    print_user(type, e);
  }
  return true;
}

void ProgressPrinter::print_user(const std::string& type, const json& e) {
  static const char* bold = "\033[1m";
  if (type == event_type::kUserMessage) {
    std::string text;
    for (const auto& b : e.value("content", json::array()))
      if (b.value("type", "") == "text") text += b.value("text", "");
    line(">", text, bold);
  } else if (type == event_type::kUserInterrupt) {
    line(">", "(interrupt)", bold);
  } else if (type == event_type::kUserToolConfirmation) {
    line(">", "(" + e.value("result", "") + " " + e.value("tool_use_id", "") + ")", bold);
  } else if (type == event_type::kUserCustomToolResult) {
    line(">",
         "(result of " + e.value("custom_tool_use_id", "") + ") " +
             short_result(e.value("content", json())),
         bold);
  }
}

// The turn's summary line; the counters start again for the next turn.
void ProgressPrinter::end_turn(const std::string& type, const json& e) {
  stop_reason_ = type == event_type::kSessionStatusIdle
                     ? e.value("stop_reason", json::object()).value("type", "")
                     : "terminated";
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  auto ended_ms = parse_rfc3339(e.value("processed_at", ""));
  if (turn_started_ms_ && ended_ms)
    secs = static_cast<double>(*ended_ms - *turn_started_ms_) / 1000;
  // The API's name for a turn an error ended is retries_exhausted, retried or not.
  std::string label = stop_reason_ == domain::stop_reason::kRetriesExhausted && !retried_
                          ? "stopped by an error"
                          : stop_reason_;
  char summary[160];
  std::snprintf(summary, sizeof summary, "%s · %lld input / %lld output tokens · %.1f s",
                label.c_str(), static_cast<long long>(input_tokens_),
                static_cast<long long>(output_tokens_), secs);
  line("■", summary, stop_reason_ == domain::stop_reason::kEndTurn ? "\033[32m" : "\033[31m");
  input_tokens_ = output_tokens_ = 0;
  retried_ = false;
  turn_started_ms_.reset();
  started_ = std::chrono::steady_clock::now();
}

}  // namespace cove::client
