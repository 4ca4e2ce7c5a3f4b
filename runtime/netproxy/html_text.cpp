// HTML to readable text for web_fetch (see html_text.hpp). A forgiving scanner, not a parser:
// pages are often malformed and only the words matter.
#include "runtime/netproxy/html_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

namespace cove::netproxy {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Position of `needle` (lower case) in `hay` at or after `from`, ignoring case.
size_t find_ci(std::string_view hay, std::string_view needle, size_t from) {
  auto it =
      std::search(hay.begin() + static_cast<std::ptrdiff_t>(std::min(from, hay.size())), hay.end(),
                  needle.begin(), needle.end(), [](char a, char b) { return lower(a) == b; });
  return it == hay.end() ? std::string_view::npos : static_cast<size_t>(it - hay.begin());
}

// The position just after the '>' that ends the tag whose attributes start at `i`.
size_t tag_end(std::string_view h, size_t i) {
  char quote = 0;
  for (; i < h.size(); ++i) {
    char c = h[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return h.size();
}

// Elements whose content is not text to read.
bool skips_content(std::string_view name) {
  return name == "script" || name == "style" || name == "noscript" || name == "template" ||
         name == "svg";
}

bool is_block(std::string_view name) {
  static constexpr std::array<std::string_view, 34> kBlocks = {
      "address", "article", "aside", "blockquote", "br",  "dd", "div",    "dl",  "dt",
      "figure",  "footer",  "form",  "h1",         "h2",  "h3", "h4",     "h5",  "h6",
      "header",  "hr",      "li",    "main",       "nav", "ol", "p",      "pre", "section",
      "table",   "tbody",   "thead", "title",      "tr",  "ul", "caption"};
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<uint32_t> named_entity(std::string_view name) {
  static constexpr std::pair<std::string_view, uint32_t> kNamed[] = {
      {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},     {"nbsp", ' '},     {"mdash", 0x2014}, {"ndash", 0x2013},
      {"hellip", 0x2026}, {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},
      {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"laquo", 0xAB},    {"raquo", 0xBB},   {"middot", 0xB7},  {"bull", 0x2022},
      {"times", 0xD7},    {"deg", 0xB0},     {"euro", 0x20AC},  {"pound", 0xA3},
      {"cent", 0xA2},     {"yen", 0xA5},     {"sect", 0xA7},    {"para", 0xB6},
      {"shy", 0xAD}};
  for (const auto& [n, cp] : kNamed)
    if (n == name) return cp;
  return std::nullopt;
}

// Decodes the character reference at h[i] == '&'; returns the characters consumed (0: none).
size_t decode_entity(std::string_view h, size_t i, std::string& out) {
  size_t semi = h.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view body = h.substr(i + 1, semi - i - 1);
  if (body.size() >= 2 && body[0] == '#') {
    bool hex = body[1] == 'x' || body[1] == 'X';
    std::string_view digits = body.substr(hex ? 2 : 1);
    uint32_t cp = 0;
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return 0;
    append_utf8(out, cp == 0xA0 ? ' ' : cp);
    return semi - i + 1;
  }
  auto cp = named_entity(body);
  if (!cp) return 0;
  append_utf8(out, *cp);
  return semi - i + 1;
}

// Collapses spaces inside lines, trims lines, keeps at most one blank line between paragraphs.
std::string tidy(const std::string& raw) {
  std::string out;
  size_t blank_run = 0;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('\n', start);
    if (end == std::string::npos) end = raw.size();
    std::string line;
    for (size_t i = start; i < end; ++i) {
      char c = raw[i];
      if (is_space(c)) {
        if (!line.empty() && line.back() != ' ') line += ' ';
      } else {
        line += c;
      }
    }
    if (!line.empty() && line.back() == ' ') line.pop_back();
    if (line.empty()) {
      ++blank_run;
    } else {
      if (!out.empty()) out += blank_run > 0 ? "\n\n" : "\n";
      out += line;
      blank_run = 0;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string html_to_text(std::string_view h) {
  std::string raw;
  raw.reserve(h.size() / 2);
  size_t i = 0;
  while (i < h.size()) {
    char c = h[i];
    if (c == '&') {
      size_t used = decode_entity(h, i, raw);
      if (used) {
        i += used;
        continue;
      }
      raw += c;
      ++i;
      continue;
    }
    if (c != '<') {
      raw += is_space(c) ? ' ' : c;
      ++i;
      continue;
    }
    if (h.compare(i, 4, "<!--") == 0) {
      size_t end = h.find("-->", i + 4);
      i = end == std::string_view::npos ? h.size() : end + 3;
      continue;
    }
    size_t j = i + 1;
    bool closing = j < h.size() && h[j] == '/';
    if (closing) ++j;
    if (j < h.size() && (h[j] == '!' || h[j] == '?')) {  // doctype, processing instruction
      i = tag_end(h, j);
      continue;
    }
    size_t name_start = j;
    while (j < h.size() && is_alnum(h[j]))
      ++j;
    if (j == name_start) {  // a literal '<', as in "a < b"
      raw += c;
      ++i;
      continue;
    }
    std::string name(h.substr(name_start, j - name_start));
    std::transform(name.begin(), name.end(), name.begin(), lower);
    i = tag_end(h, j);
    if (!closing && skips_content(name)) {
      size_t end = find_ci(h, "</" + name, i);
      i = end == std::string_view::npos ? h.size() : tag_end(h, end + 2 + name.size());
      continue;
    }
    if (name == "li" && !closing) {
      raw += "\n- ";
    } else if (is_block(name)) {
      raw += '\n';
    } else if (name == "td" || name == "th") {
      raw += ' ';
    }
  }
  return tidy(raw);
}

bool truncate_utf8(std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return false;
  size_t cut = max_bytes;
  // Step back over continuation bytes so the cut lands on a character boundary.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  text.resize(cut);
  return true;
}

}  // namespace cove::netproxy
