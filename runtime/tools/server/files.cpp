// The read, write and edit tools: whole-file work inside the sandbox's root (glob and grep
// are in search.cpp).
#include "runtime/tools/server/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>

#include "runtime/tools/server/fs.hpp"
#include "runtime/tools/server/tool_call.hpp"
#include "runtime/tools/text.hpp"

namespace cove::tools {
namespace {

constexpr std::size_t kBinaryProbe = 8192;  // a NUL in the first 8 KiB marks a binary file
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kSnippetContext = 3;
constexpr std::size_t kCountLinesUpTo = 64 * 1024 * 1024;

struct ViewRange {
  std::size_t first = 1;
  std::size_t last = 0;  // 0: to the end
};

std::optional<ViewRange> parse_view_range(const json& input) {
  if (!input.contains("view_range") || input["view_range"].is_null()) return std::nullopt;
  const json& v = input["view_range"];
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer())
    throw ToolError("view_range must be [start_line, end_line] (two integers)");
  auto first = v[0].get<int64_t>(), last = v[1].get<int64_t>();
  if (first < 1) throw ToolError("view_range start_line must be 1 or more (lines count from 1)");
  if (last > 0 && last < first)
    throw ToolError("view_range end_line (" + std::to_string(last) + ") is before start_line (" +
                    std::to_string(first) + "); use an end_line of 0 or -1 to read to the end");
  return ViewRange{static_cast<std::size_t>(first), last > 0 ? static_cast<std::size_t>(last) : 0};
}

struct stat stat_or_throw(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw ToolError(describe_error(path, errno));
  return st;
}

// Only regular files are read, written or edited; the message says what it is instead.
void require_regular(const struct stat& st, const std::string& path) {
  if (S_ISDIR(st.st_mode))
    throw ToolError(path + " is a directory, not a file; list it with glob (pattern \"" +
                    join_path(path, "*") + "\")");
  if (!S_ISREG(st.st_mode))
    throw ToolError(path + " is not a regular file (a device, FIFO or socket)");
}

// Reads `fd` to the end, at most `limit` bytes (then throws: the file grew meanwhile).
std::string read_all(int fd, const std::string& path, std::size_t limit) {
  std::string data;
  char buf[kChunk];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ToolError("cannot read " + describe_error(path, errno));
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limit)
      throw ToolError(path + " is over the " + text::human_size(limit) + " limit");
  }
}

void write_all(int fd, const std::string& path, std::string_view data, off_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ToolError("cannot write " + describe_error(path, errno));
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
}

bool looks_binary(std::string_view head) {
  return std::memchr(head.data(), '\0', std::min(head.size(), kBinaryProbe)) != nullptr;
}

// Calls on_line(number, line) for each line of `fd` (the '\n' removed; a last line without
// one counts) until it returns false. A line longer than `max_line` is cut there. Returns
// the number of lines seen. Throws ToolError for a binary file, or when `deadline` passes
// (a sparse file can be endless zeros with no newline).
std::size_t for_each_line(int fd, const std::string& path, std::size_t max_line,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<bool(std::size_t, std::string_view)>& on_line) {
  std::string carry;
  std::size_t number = 0, offset = 0;
  char buf[kChunk];
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw ToolError("reading " + path + " stopped after " + text::human_size(offset) +
                      " (the time limit); read a range nearer the start, or use bash (sed -n, "
                      "tail) for large files");
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ToolError("cannot read " + describe_error(path, errno));
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    if (offset < kBinaryProbe && looks_binary(chunk.substr(0, kBinaryProbe - offset)))
      throw ToolError(path + " is a binary file; read shows text files only");
    offset += chunk.size();
    if (n == 0) {
      if (!carry.empty()) {
        ++number;
        on_line(number, carry);
      }
      return number;
    }
    while (!chunk.empty()) {
      std::size_t nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl);
      carry.append(piece.substr(0, max_line - std::min(max_line, carry.size())));
      if (nl == std::string_view::npos) break;
      chunk.remove_prefix(nl + 1);
      ++number;
      bool more = on_line(number, carry);
      carry.clear();
      if (!more) return number;
    }
  }
}

}  // namespace

Files::Files(std::string cwd, ToolLimits limits)
    : root_(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)),
      cwd_(absolute_path("/", cwd)),
      limits_(limits) {
  if (!root_) throw std::runtime_error(std::string("cannot open /: ") + std::strerror(errno));
}

ToolOutput Files::call(const std::string& tool, const json& input) {
  if (tool == "read") return read(input);
  if (tool == "write") return write(input);
  if (tool == "edit") return edit(input);
  if (tool == "glob") return glob(input);
  if (tool == "grep") return grep(input);
  return ToolOutput::text("unknown file tool " + tool, true);
}

ToolOutput Files::read(const json& input) {
  return call::answer([&] {
    std::string path = absolute_path(cwd_, call::required_string(input, "file_path"));
    std::optional<ViewRange> range = parse_view_range(input);
    auto deadline = std::chrono::steady_clock::now() + limits_.grep_timeout;
    UniqueFd fd = open_or_throw(root_.get(), path, O_RDONLY | O_NONBLOCK);
    struct stat st = stat_or_throw(fd.get(), path);
    require_regular(st, path);
    auto size = static_cast<std::size_t>(st.st_size);
    if (!range && size > limits_.max_file_bytes) {
      std::string lines;  // counted when that is quick
      if (size <= kCountLinesUpTo)
        lines = " (it has " +
                std::to_string(
                    for_each_line(fd.get(), path, 1, deadline, [](auto, auto) { return true; })) +
                " lines)";
      throw ToolError(path + " is " + text::human_size(size) + ", over the " +
                      text::human_size(limits_.max_file_bytes) + " read limit; read it in parts " +
                      "with view_range [start_line, end_line]" + lines);
    }
    ViewRange want = range.value_or(ViewRange{});
    std::string out;
    std::size_t stopped_after = 0;  // the last line shown when the output limit stopped us
    std::size_t lines = for_each_line(fd.get(), path, limits_.max_file_bytes, deadline,
                                      [&](std::size_t number, std::string_view line) {
                                        if (want.last && number > want.last) return false;
                                        if (number < want.first) return true;
                                        text::append_numbered(out, number, line);
                                        if (out.size() <= limits_.max_file_bytes) return true;
                                        stopped_after = number;
                                        return false;
                                      });
    if (lines == 0) return ToolOutput::text(path + " is empty");
    if (want.first > lines)
      throw ToolError("view_range starts at line " + std::to_string(want.first) + " but " + path +
                      " has " + std::to_string(lines) + " lines");
    if (stopped_after)
      out += "[output stopped after line " + std::to_string(stopped_after) + ": over " +
             text::human_size(limits_.max_file_bytes) + "; continue with view_range [" +
             std::to_string(stopped_after + 1) + ", ...]]\n";
    return ToolOutput::text(std::move(out));
  });
}

ToolOutput Files::write(const json& input) {
  return call::answer([&] {
    std::string path = absolute_path(cwd_, call::required_string(input, "file_path"));
    std::string content = call::required_string(input, "content");
    if (path == "/") throw ToolError("/ is a directory, not a file");
    make_directories(root_.get(), path.substr(0, path.rfind('/')));
    // Opened before created, so a symlink (dangling or not) is written through, as a shell
    // redirection would; the link's target is resolved inside the root like any path.
    int raw = open_in_root(root_.get(), path, O_WRONLY | O_NONBLOCK);
    bool created = false;
    if (raw == -ENOENT) {
      raw = open_in_root(root_.get(), path, O_WRONLY | O_CREAT | O_NONBLOCK, 0644);
      created = raw >= 0;
    }
    if (raw < 0) throw ToolError("cannot write " + describe_error(path, -raw));
    UniqueFd fd(raw);
    if (!created) {
      require_regular(stat_or_throw(fd.get(), path), path);
      if (::ftruncate(fd.get(), 0) != 0)
        throw ToolError("cannot write " + describe_error(path, errno));
    }
    write_all(fd.get(), path, content, 0);
    return ToolOutput::text("wrote " + std::to_string(content.size()) + " bytes to " + path);
  });
}

ToolOutput Files::edit(const json& input) {
  return call::answer([&] {
    std::string path = absolute_path(cwd_, call::required_string(input, "file_path"));
    std::string old_string = call::required_string(input, "old_string");
    std::string new_string = call::required_string(input, "new_string");
    bool replace_all = call::optional_bool(input, "replace_all");
    if (old_string.empty())
      throw ToolError("old_string is empty; to create or overwrite a whole file use write");
    if (old_string == new_string)
      throw ToolError("old_string and new_string are the same; there is nothing to change");
    UniqueFd fd = open_or_throw(root_.get(), path, O_RDWR | O_NONBLOCK);
    struct stat st = stat_or_throw(fd.get(), path);
    require_regular(st, path);
    if (static_cast<std::size_t>(st.st_size) > limits_.max_file_bytes)
      throw ToolError(path + " is " + text::human_size(static_cast<std::size_t>(st.st_size)) +
                      ", over the " + text::human_size(limits_.max_file_bytes) +
                      " edit limit; change it with bash (e.g. sed) instead");
    std::string content = read_all(fd.get(), path, limits_.max_file_bytes);
    if (looks_binary(content))
      throw ToolError(path + " is a binary file; edit changes text files only");
    std::size_t count = text::count_occurrences(content, old_string);
    if (count == 0)
      throw ToolError("old_string was not found in " + path +
                      " (it must match exactly, whitespace and indentation included; read the "
                      "file to check)");
    if (count > 1 && !replace_all)
      throw ToolError("old_string was found " + std::to_string(count) + " times in " + path +
                      "; add surrounding context to make it unique, or set replace_all");
    std::string updated = text::replace(content, old_string, new_string, replace_all);
    write_all(fd.get(), path, updated, 0);
    if (updated.size() < content.size() &&
        ::ftruncate(fd.get(), static_cast<off_t>(updated.size())) != 0)
      throw ToolError("cannot write " + describe_error(path, errno));

    std::string out = "edited " + path + ": replaced " + std::to_string(count) +
                      (count == 1 ? " occurrence" : " occurrences");
    if (count > 1) return ToolOutput::text(out);
    // Show the changed lines with a little context, numbered like read.
    std::size_t at = content.find(old_string);
    std::size_t first =
        1 + static_cast<std::size_t>(std::count(
                updated.begin(), updated.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    std::size_t last =
        first + static_cast<std::size_t>(std::count(new_string.begin(), new_string.end(), '\n'));
    first = first > kSnippetContext ? first - kSnippetContext : 1;
    last += kSnippetContext;
    out += "; the file now reads:\n";
    std::size_t number = 1, start = 0;
    while (start < updated.size() && number <= last) {
      std::size_t nl = updated.find('\n', start);
      if (nl == std::string::npos) nl = updated.size();
      if (number >= first)
        text::append_numbered(out, number, std::string_view(updated).substr(start, nl - start));
      start = nl + 1;
      ++number;
    }
    return ToolOutput::text(std::move(out));
  });
}

}  // namespace cove::tools
