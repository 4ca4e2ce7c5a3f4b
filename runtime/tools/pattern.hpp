// The pattern languages of glob and grep: doublestar globs (with brace alternatives) and
// regular expressions as models write them, turned into POSIX extended ones. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cove::tools::pattern {

// "src/{a,b}/*.{h,cpp}" -> the four patterns it stands for, in order. Braces nest; a brace
// without a matching one or without a top-level comma is literal. At most `limit` results
// (an error beyond, see BraceLimit).
std::vector<std::string> expand_braces(std::string_view pattern, std::size_t limit = 1024);

struct BraceLimit : std::exception {
  const char* what() const noexcept override { return "the pattern expands to too many braces"; }
};

// The '/'-separated parts of a glob pattern, without empty and "." parts.
std::vector<std::string> split_segments(std::string_view pattern);

// Whether a segment uses glob syntax (*, ?, [) rather than naming an entry literally.
bool has_glob_syntax(std::string_view segment);

// Whether a directory entry name matches one glob segment: '*' any run of characters
// (a leading '.' included), '?' one character, '[...]' a class, '\' escapes.
bool match_segment(std::string_view segment, std::string_view name);

// A regular expression as models write it (ripgrep/PCRE habits, with GNU grep's \< and \>)
// in RE2's syntax, which already has (?i), (?:...), \d \w \s \b and POSIX classes: only
// \< and \> outside brackets become \b. Everything else is left for RE2 to accept or reject
// (lookarounds and backreferences are rejected: RE2 matches in linear time).
std::string to_re2(std::string_view regex);

}  // namespace cove::tools::pattern
