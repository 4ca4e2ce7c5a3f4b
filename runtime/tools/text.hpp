// Text shaping for tool results: always valid UTF-8 (results become JSON), caps that say
// what they dropped, `cat -n` numbering and literal string replacement. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cove::tools::text {

// `in` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view in);

// Output of unbounded size kept within `max` bytes: the first and the last max/2 bytes, with
// "[... N bytes truncated ...]" between them once anything was dropped.
class HeadAndTail {
 public:
  explicit HeadAndTail(std::size_t max);
  void append(std::string_view data);
  std::string str() const;
  std::size_t total() const { return total_; }
  bool truncated() const { return total_ > head_.size() + tail_size(); }

 private:
  std::size_t tail_size() const { return tail_.size() - tail_start_; }

  std::size_t head_max_, tail_max_;
  std::string head_, tail_;
  std::size_t tail_start_ = 0;  // tail_ is compacted lazily
  std::size_t total_ = 0;
};

// One line as `cat -n` prints it: the number right-aligned in six columns, a tab, the line.
void append_numbered(std::string& out, std::size_t number, std::string_view line);

// Non-overlapping occurrences of `needle` (not empty) in `hay`.
std::size_t count_occurrences(std::string_view hay, std::string_view needle);
// `hay` with the first (or every) occurrence of `needle` (not empty) replaced.
std::string replace(std::string_view hay, std::string_view needle, std::string_view with, bool all);

// "1.5 MiB", "256 KiB", "12 bytes".
std::string human_size(std::size_t bytes);

}  // namespace cove::tools::text

namespace cove::tools {

// `path` made absolute against `cwd` and cleaned lexically ("." and ".." folded, ".."
// stopping at "/"): the name tools show for a path. Resolution itself is the kernel's.
std::string absolute_path(std::string_view cwd, std::string_view path);
// "/a/b" + "c" -> "/a/b/c"; "/" + "c" -> "/c".
std::string join_path(std::string_view dir, std::string_view name);
// The names of a path's parts, without empty and "." parts ("/a//./b" -> {"a", "b"}).
std::vector<std::string> path_components(std::string_view path);

}  // namespace cove::tools
