// Glob and grep pattern languages (see pattern.hpp).
#include "runtime/tools/pattern.hpp"

#include <fnmatch.h>

#include "runtime/tools/text.hpp"

namespace cove::tools::pattern {
namespace {

// Index just past the bracket expression that starts at p[open] == '[' (its ']' included),
// or `open + 1` when it is not closed (then '[' is an ordinary character).
std::size_t bracket_end(std::string_view p, std::size_t open) {
  std::size_t i = open + 1;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) ++i;
  if (i < p.size() && p[i] == ']') ++i;  // a leading ']' is a member
  for (; i < p.size(); ++i) {
    if (p[i] == '[' && i + 1 < p.size() &&
        (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
      std::size_t close = p.find(std::string{p[i + 1], ']'}, i + 2);
      if (close != std::string_view::npos) i = close + 1;
      continue;
    }
    if (p[i] == ']') return i + 1;
  }
  return open + 1;
}

void expand_into(const std::string& p, std::size_t limit, std::vector<std::string>& out) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '[') {
      i = bracket_end(p, i) - 1;
      continue;
    }
    if (p[i] != '{') continue;
    // Find the matching '}' and the commas at this depth.
    std::vector<std::size_t> commas;
    std::size_t depth = 0, close = std::string::npos;
    for (std::size_t j = i + 1; j < p.size() && close == std::string::npos; ++j) {
      if (p[j] == '\\')
        ++j;
      else if (p[j] == '[')
        j = bracket_end(p, j) - 1;
      else if (p[j] == '{')
        ++depth;
      else if (p[j] == '}' && depth > 0)
        --depth;
      else if (p[j] == '}')
        close = j;
      else if (p[j] == ',' && depth == 0)
        commas.push_back(j);
    }
    if (close == std::string::npos || commas.empty()) continue;  // literal '{'
    std::string prefix = p.substr(0, i), suffix = p.substr(close + 1);
    std::size_t start = i + 1;
    commas.push_back(close);
    for (std::size_t comma : commas) {
      expand_into(prefix + p.substr(start, comma - start) + suffix, limit, out);
      start = comma + 1;
    }
    return;
  }
  if (out.size() >= limit) throw BraceLimit();
  out.push_back(p);
}

}  // namespace

std::vector<std::string> expand_braces(std::string_view pattern, std::size_t limit) {
  std::vector<std::string> out;
  expand_into(std::string(pattern), limit, out);
  return out;
}

std::vector<std::string> split_segments(std::string_view pattern) {
  return path_components(pattern);
}

bool has_glob_syntax(std::string_view segment) {
  for (std::size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '*' || c == '?') return true;
    if (c == '[' && bracket_end(segment, i) > i + 1) return true;
    if (c == '\\') return true;  // an escape needs fnmatch to be read
  }
  return false;
}

bool match_segment(std::string_view segment, std::string_view name) {
  // No FNM_PERIOD: '*' matches dot files too (doublestar's rule). No FNM_PATHNAME: a
  // segment never holds a '/'.
  return ::fnmatch(std::string(segment).c_str(), std::string(name).c_str(), 0) == 0;
}

std::string to_re2(std::string_view re) {
  std::string out;
  out.reserve(re.size());
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char e = re[++i];
      if (e == '<' || e == '>')
        out += "\\b";  // GNU word starts and ends; RE2 has only the boundary
      else
        out.append({'\\', e});
      continue;
    }
    if (c == '[') {  // a class is copied whole: "\\<" inside one is RE2's to judge
      std::size_t end = bracket_end(re, i);
      out.append(re.substr(i, end - i));
      i = end - 1;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace cove::tools::pattern
