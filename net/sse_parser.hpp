// Incremental parser for text/event-stream bodies (the WHATWG "server-sent events" format).
// Pure: feed it bytes as they arrive, in any chunking; it returns whole events.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cove::net {

struct SseEvent {
  std::string type;  // the `event:` field; empty when absent (which means "message")
  std::string data;  // `data:` lines joined with '\n'
  std::string id;    // last event id in force when this event was dispatched
};

class SseParser {
 public:
  // Parses a chunk; returns the events it completed. Comments (":" lines) are skipped; lines
  // may end in "\n", "\r\n" or "\r", also when the chunk boundary splits "\r\n".
  std::vector<SseEvent> feed(std::string_view chunk);

  // The last `id:` seen (kept across events, as the resume point for Last-Event-ID), and
  // whether any id was seen at all.
  const std::string& last_event_id() const { return last_id_; }
  bool has_event_id() const { return has_id_; }
  // The last valid `retry:` value in milliseconds.
  std::optional<long> retry_ms() const { return retry_; }

 private:
  void line(std::string_view l, std::vector<SseEvent>& out);

  std::string partial_;
  bool skip_lf_ = false;  // last chunk ended in '\r'; a leading '\n' belongs to it
  bool started_ = false;  // a leading UTF-8 BOM is dropped once
  bool has_data_ = false;
  std::string type_, data_, last_id_;
  bool has_id_ = false;
  std::optional<long> retry_;
};

}  // namespace cove::net
