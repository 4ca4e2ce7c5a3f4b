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

// A regular expression as models write it (ripgrep/PCRE habits) as POSIX extended syntax
// for regcomp: a leading "(?i)" sets `ignore_case`; "(?:" becomes "("; \d \D \t outside
// brackets, and \d \w \s and escaped punctuation inside brackets, become their POSIX forms.
// Everything else is passed through for regcomp to accept or reject.
std::string to_posix_extended(std::string_view regex, bool& ignore_case);

}  // namespace cove::tools::pattern
