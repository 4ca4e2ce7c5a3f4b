#include "net/sse_parser.hpp"

#include <algorithm>

namespace cove::net {

std::vector<SseEvent> SseParser::feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  if (!started_ && !chunk.empty()) {
    if (chunk.substr(0, 3) == "\xEF\xBB\xBF") chunk.remove_prefix(3);
    started_ = true;
  }
  if (skip_lf_ && !chunk.empty()) {
    if (chunk.front() == '\n') chunk.remove_prefix(1);
    skip_lf_ = false;
  }
  while (!chunk.empty()) {
    auto end = chunk.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      partial_.append(chunk);
      break;
    }
    std::string_view piece = chunk.substr(0, end);
    if (partial_.empty()) {
      line(piece, out);
    } else {
      partial_.append(piece);
      std::string whole = std::move(partial_);
      partial_.clear();
      line(whole, out);
    }
    if (chunk[end] == '\r') {
      if (end + 1 < chunk.size()) {
        if (chunk[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    chunk.remove_prefix(end + 1);
  }
  return out;
}

void SseParser::line(std::string_view l, std::vector<SseEvent>& out) {
  if (l.empty()) {  // blank line: dispatch
    if (has_data_) out.push_back(SseEvent{type_, std::move(data_), last_id_});
    has_data_ = false;
    data_.clear();
    type_.clear();
    return;
  }
  if (l.front() == ':') return;  // comment / keep-alive
  auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_id_ = std::string(value);
      has_id_ = true;
    }
  } else if (field == "retry") {
    if (!value.empty() && value.size() < 10 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      retry_ = std::stol(std::string(value));
  }
}

}  // namespace cove::net
