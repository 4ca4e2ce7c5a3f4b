#include "net/sse_writer.hpp"

namespace cove::net {

namespace {

// Field values may not contain line breaks: they would end the field early.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  for (char c : value)
    if (c != '\n' && c != '\r') out += c;
  out += '\n';
}

}  // namespace

std::string sse_frame(std::string_view event, std::string_view data, std::string_view id) {
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 32);
  if (!id.empty()) append_field(out, "id", id);
  if (!event.empty()) append_field(out, "event", event);
  std::size_t start = 0;
  for (;;) {
    auto nl = data.find('\n', start);
    auto line = data.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text)
    if (c != '\n' && c != '\r') out += c;
  out += "\n\n";
  return out;
}

}  // namespace cove::net
