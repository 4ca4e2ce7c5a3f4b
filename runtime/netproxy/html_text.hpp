// Readable text from an HTML page, for web_fetch: what a person would read, without markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cove::netproxy {

// Drops scripts, styles, comments and tags (block-level tags become line breaks), decodes
// character references (numeric and the common named ones), collapses runs of spaces within a
// line and of blank lines, and trims the result.
std::string html_to_text(std::string_view html);

// Cuts `text` to at most `max_bytes` bytes without splitting a UTF-8 sequence. True when it cut.
bool truncate_utf8(std::string& text, std::size_t max_bytes);

}  // namespace cove::netproxy
