// Text shaping for tool results (see text.hpp).
#include "runtime/tools/text.hpp"

#include <algorithm>
#include <cstdio>

#include "runtime/tools/tool_output.hpp"

namespace cove::tools::text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one.
std::size_t sequence_length(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(0);
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < len; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return len;
}

}  // namespace

std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    // Copy runs of ASCII at once: the common case.
    std::size_t run = i;
    while (run < in.size() && static_cast<unsigned char>(in[run]) < 0x80)
      ++run;
    out.append(in.substr(i, run - i));
    i = run;
    if (i == in.size()) break;
    std::size_t len = sequence_length(in.substr(i));
    if (len == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(in.substr(i, len));
      i += len;
    }
  }
  return out;
}

HeadAndTail::HeadAndTail(std::size_t max) : head_max_(max - max / 2), tail_max_(max / 2) {}

void HeadAndTail::append(std::string_view data) {
  total_ += data.size();
  std::size_t to_head = std::min(data.size(), head_max_ - head_.size());
  head_.append(data.substr(0, to_head));
  data.remove_prefix(to_head);
  if (data.empty() || tail_max_ == 0) return;
  tail_.append(data);
  if (tail_size() > tail_max_) tail_start_ = tail_.size() - tail_max_;
  // Compact once the dead prefix outgrows the live tail, so appends stay amortized O(1).
  if (tail_start_ > tail_max_) {
    tail_.erase(0, tail_start_);
    tail_start_ = 0;
  }
}

std::string HeadAndTail::str() const {
  std::string_view tail(tail_.data() + tail_start_, tail_size());
  if (!truncated()) return head_ + std::string(tail);
  std::size_t dropped = total_ - head_.size() - tail.size();
  std::string out = head_;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "[... " + std::to_string(dropped) + " bytes truncated ...]\n";
  out += tail;
  return out;
}

void append_numbered(std::string& out, std::size_t number, std::string_view line) {
  char prefix[32];
  int n = std::snprintf(prefix, sizeof prefix, "%6zu\t", number);
  out.append(prefix, static_cast<std::size_t>(n));
  out.append(line);
  out += '\n';
}

std::size_t count_occurrences(std::string_view hay, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + needle.size()))
    ++count;
  return count;
}

std::string replace(std::string_view hay, std::string_view needle, std::string_view with,
                    bool all) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, start)) {
    out.append(hay.substr(start, pos - start));
    out.append(with);
    start = pos + needle.size();
    if (!all) break;
  }
  out.append(hay.substr(start));
  return out;
}

std::string human_size(std::size_t bytes) {
  char buf[32];
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  if (bytes < 1024 * 1024) {
    if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
  }
  return buf;
}

}  // namespace cove::tools::text

namespace cove::tools {

ToolOutput ToolOutput::text(std::string text, bool is_error) {
  ToolOutput out;
  if (text.empty()) text = "(no output)";
  out.content.push_back({{"type", "text"}, {"text", text::valid_utf8(text)}});
  out.is_error = is_error;
  return out;
}

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string absolute_path(std::string_view cwd, std::string_view path) {
  std::vector<std::string> parts;
  auto fold = [&](std::string_view p) {
    for (auto& part : path_components(p)) {
      if (part != "..")
        parts.push_back(std::move(part));
      else if (!parts.empty())
        parts.pop_back();
    }
  };
  if (path.empty() || path.front() != '/') fold(cwd);
  fold(path);
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& part : parts)
    out += "/" + part;
  return out;
}

}  // namespace cove::tools
