// The glob and grep tools: bounded walks of the sandbox's tree. A walk goes down one
// directory fd at a time (openat with O_NOFOLLOW on a single name), so it never follows a
// symlink; only literal path parts are resolved through the root (RESOLVE_IN_ROOT). .git
// directories and /proc-like file systems are not entered. Every walk is bounded: depth,
// entries looked at, matches kept and time, each with a note in the result when it bites;
// grep's expressions run on RE2, whose matching time is linear in the input.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <tuple>

#include "runtime/tools/pattern.hpp"
#include "runtime/tools/server/files.hpp"
#include "runtime/tools/server/fs.hpp"
#include "runtime/tools/server/tool_call.hpp"
#include "runtime/tools/text.hpp"

namespace cove::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxGrepFileBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxGrepLineBytes = 1000;
// Directories deeper than this below the search's start are not entered: a walk holds one
// fd and one path per level.
constexpr std::size_t kMaxDepth = 256;
// Directory entries one call looks at, and glob matches it keeps (beyond, only counted).
constexpr std::size_t kMaxEntries = 2'000'000;
constexpr std::size_t kMaxGlobMatchesKept = 100'000;

struct Entry {
  std::string name;
  unsigned char type;  // DT_*
};

// The entries of a directory, sorted by name (stable output). Empty when unreadable.
std::vector<Entry> list_directory(int dir_fd, std::size_t& unreadable) {
  std::vector<Entry> out;
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!dir) {
    if (fd >= 0) ::close(fd);
    ++unreadable;
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.push_back({e->d_name, e->d_type});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

bool is_virtual_fs(int fd) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return false;
  switch (fs.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
}

// The limits of one search: time, entries looked at, and depth (counted, not stopping).
struct Budget {
  Clock::time_point deadline;
  bool timed_out = false;
  bool out_of_entries = false;
  std::size_t entries = 0;
  std::size_t too_deep = 0;  // directories not entered for depth

  bool exhausted() {
    if (Clock::now() >= deadline) timed_out = true;
    return timed_out || out_of_entries;
  }
  // Counts the entries of one listed directory; false once the budget is spent.
  bool take(std::size_t n) {
    entries += n;
    if (entries > kMaxEntries) out_of_entries = true;
    return !exhausted();
  }
  bool may_enter(std::size_t depth) {
    if (depth < kMaxDepth) return true;
    ++too_deep;
    return false;
  }
  // The notes a result ends with for the limits that bit.
  std::string notes(std::chrono::milliseconds timeout) const {
    std::string out;
    if (timed_out)
      out += "[the search stopped after " + std::to_string(timeout.count() / 1000) +
             " s; results are partial]\n";
    if (out_of_entries)
      out += "[the search stopped after looking at " + std::to_string(kMaxEntries) +
             " entries; results are partial: narrow the path]\n";
    if (too_deep)
      out += "[" + std::to_string(too_deep) + " directories more than " +
             std::to_string(kMaxDepth) + " levels deep were not searched]\n";
    return out;
  }
};

// Opens subdirectory `entry` of `parent` for a walk, `depth` levels below its start: no
// symlinks, no .git, no crossing into /proc, /sys and the like, nothing deeper than the
// budget allows (counted there). -1 when it is not to be entered.
int enter(int parent, const Entry& entry, bool parent_virtual, Budget& budget, std::size_t depth) {
  if (entry.name == ".git") return -1;
  if (entry.type != DT_DIR && entry.type != DT_UNKNOWN) return -1;
  if (!budget.may_enter(depth)) return -1;
  int fd = ::openat(parent, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (!parent_virtual && is_virtual_fs(fd)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A directory's identity, for walks that must not visit one twice.
std::pair<dev_t, ino_t> identity(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

// ---- glob ------------------------------------------------------------------------------

struct GlobMatch {
  std::string path;
  struct timespec mtime;
};

class GlobWalk {
 public:
  GlobWalk(int root, Budget& budget) : root_(root), budget_(budget) {}

  // Matches `segments` below directory `base` (absolute inside the sandbox).
  void run(const std::string& base, const std::vector<std::string>& segments) {
    segments_ = &segments;
    visited_.clear();
    int fd = open_in_root(root_, base, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    UniqueFd dir(fd);
    walk(dir.get(), base, 0, 0, is_virtual_fs(fd));
  }

  std::vector<GlobMatch>& matches() { return matches_; }
  std::size_t total() const { return total_; }
  std::size_t unreadable() const { return unreadable_; }

 private:
  void add(int dir_fd, const std::string& dir, const std::string& name) {
    std::string path = join_path(dir, name);
    if (seen_.count(path)) return;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    ++total_;
    if (matches_.size() >= kMaxGlobMatchesKept) return;
    seen_.insert(path);
    matches_.push_back({std::move(path), st.st_mtim});
  }

  std::vector<Entry> list(int dir_fd) {
    std::vector<Entry> entries = list_directory(dir_fd, unreadable_);
    if (!budget_.take(entries.size())) entries.clear();
    return entries;
  }

  // Everything below `dir`, recursively: the "**" at the end of a pattern.
  void add_all(int dir_fd, const std::string& dir, std::size_t depth, bool is_virtual) {
    for (const Entry& e : list(dir_fd)) {
      if (budget_.exhausted()) return;
      add(dir_fd, dir, e.name);
      UniqueFd sub(enter(dir_fd, e, is_virtual, budget_, depth + 1));
      if (sub) add_all(sub.get(), join_path(dir, e.name), depth + 1, is_virtual_fs(sub.get()));
    }
  }

  void walk(int dir_fd, const std::string& dir, std::size_t i, std::size_t depth, bool is_virtual) {
    if (budget_.exhausted()) return;
    auto [dev, ino] = identity(dir_fd);
    if (!visited_.insert({dev, ino, i}).second) return;
    const std::string& seg = (*segments_)[i];
    bool last = i + 1 == segments_->size();
    if (seg == "**") {
      if (last) return add_all(dir_fd, dir, depth, is_virtual);
      walk(dir_fd, dir, i + 1, depth, is_virtual);  // "**" as zero directories
      for (const Entry& e : list(dir_fd)) {
        UniqueFd sub(enter(dir_fd, e, is_virtual, budget_, depth + 1));
        if (sub) walk(sub.get(), join_path(dir, e.name), i, depth + 1, is_virtual_fs(sub.get()));
      }
      return;
    }
    if (!pattern::has_glob_syntax(seg)) {
      // A literal name: looked up, not listed (so hidden names and symlinked dirs work).
      if (last) return add(dir_fd, dir, seg);
      if (!budget_.may_enter(depth + 1)) return;
      std::string path = join_path(dir, seg);
      int fd = open_in_root(root_, path, O_RDONLY | O_DIRECTORY);
      if (fd < 0) return;
      UniqueFd sub(fd);
      return walk(sub.get(), path, i + 1, depth + 1, is_virtual_fs(fd));
    }
    for (const Entry& e : list(dir_fd)) {
      if (!pattern::match_segment(seg, e.name)) continue;
      if (last) {
        add(dir_fd, dir, e.name);
        continue;
      }
      UniqueFd sub(enter(dir_fd, e, is_virtual, budget_, depth + 1));
      if (sub) walk(sub.get(), join_path(dir, e.name), i + 1, depth + 1, is_virtual_fs(sub.get()));
    }
  }

  int root_;
  Budget& budget_;
  const std::vector<std::string>* segments_ = nullptr;
  std::vector<GlobMatch> matches_;
  std::size_t total_ = 0;
  std::set<std::string> seen_;
  std::set<std::tuple<dev_t, ino_t, std::size_t>> visited_;
  std::size_t unreadable_ = 0;
};

// ---- grep ------------------------------------------------------------------------------

// A grep expression on RE2: linear-time matching, whatever the pattern and the input.
class Regex {
 public:
  explicit Regex(const std::string& source) : re_("(?m)" + pattern::to_re2(source), options()) {
    if (!re_.ok())
      throw ToolError("invalid regular expression " + json(source).dump() + ": " + re_.error() +
                      " (RE2 syntax, as ripgrep's; lookarounds and backreferences are not "
                      "supported)");
  }

  // The first match in data[from, size): its start and end offsets, or false.
  bool find(std::string_view data, std::size_t from, std::size_t& start, std::size_t& end) const {
    re2::StringPiece text(data.data(), data.size()), m;
    if (!re_.Match(text, from, text.size(), RE2::UNANCHORED, &m, 1)) return false;
    start = static_cast<std::size_t>(m.data() - data.data());
    end = start + m.size();
    return true;
  }
  // Whether one line (without its newline) matches on its own.
  bool matches(std::string_view line) const {
    return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), re_);
  }

 private:
  static RE2::Options options() {
    RE2::Options o;
    o.set_log_errors(false);
    return o;
  }
  RE2 re_;
};

class GrepWalk {
 public:
  GrepWalk(const Regex& re, std::size_t max_output, Budget& budget)
      : re_(re), max_output_(max_output), budget_(budget) {}

  void directory(int dir_fd, const std::string& dir, std::size_t depth, bool is_virtual) {
    std::vector<Entry> entries = list_directory(dir_fd, unreadable_);
    if (!budget_.take(entries.size())) return;
    for (const Entry& e : entries) {
      if (full() || budget_.exhausted()) return;
      unsigned char type = e.type;
      if (type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(dir_fd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
      }
      if (type == DT_REG) {
        int fd = ::openat(dir_fd, e.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
          ++unreadable_;
          continue;
        }
        UniqueFd file(fd);
        search(file.get(), join_path(dir, e.name));
      } else if (type == DT_DIR) {
        UniqueFd sub(enter(dir_fd, {e.name, DT_DIR}, is_virtual, budget_, depth + 1));
        if (sub) directory(sub.get(), join_path(dir, e.name), depth + 1, is_virtual_fs(sub.get()));
      }
    }
  }

  // Searches one open file; binary and very large files are skipped (and counted).
  void search(int fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (static_cast<std::size_t>(st.st_size) > kMaxGrepFileBytes) {
      ++skipped_large_;
      return;
    }
    std::string data;
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    data.resize(got);
    if (std::memchr(data.data(), '\0', data.size())) {
      ++skipped_binary_;
      return;
    }
    std::size_t line = 1, counted_to = 0, pos = 0;
    for (std::size_t round = 1; pos <= data.size() && !full(); ++round) {
      if ((round & 1023) == 0 && budget_.exhausted()) return;
      std::size_t at, match_end;
      if (!re_.find(data, pos, at, match_end)) break;
      // An empty match past the last newline is not on a line.
      if (at == data.size() && (data.empty() || data.back() == '\n')) break;
      std::size_t nl = at == 0 ? std::string::npos : data.rfind('\n', at - 1);
      std::size_t start = nl == std::string::npos ? 0 : nl + 1;
      std::size_t end = data.find('\n', at);
      if (end == std::string::npos) end = data.size();
      std::string_view text = std::string_view(data).substr(start, end - start);
      pos = end + 1;
      // A match that runs past its line (e.g. [^x]* over a newline): the line counts only
      // when it matches on its own.
      if (match_end > end && !re_.matches(text)) continue;
      line += static_cast<std::size_t>(
          std::count(data.begin() + static_cast<std::ptrdiff_t>(counted_to),
                     data.begin() + static_cast<std::ptrdiff_t>(start), '\n'));
      counted_to = start;
      out_ += path + ":" + std::to_string(line) + ":";
      if (text.size() > kMaxGrepLineBytes) {
        out_.append(text.substr(0, kMaxGrepLineBytes));
        out_ += " [... line truncated]";
      } else {
        out_.append(text);
      }
      out_ += '\n';
      ++matches_;
    }
  }

  bool full() const { return out_.size() >= max_output_; }
  std::string& output() { return out_; }
  std::size_t matches() const { return matches_; }
  std::size_t skipped_large() const { return skipped_large_; }
  std::size_t skipped_binary() const { return skipped_binary_; }
  std::size_t unreadable() const { return unreadable_; }

 private:
  const Regex& re_;
  std::size_t max_output_;
  Budget& budget_;
  std::string out_;
  std::size_t matches_ = 0, skipped_large_ = 0, skipped_binary_ = 0, unreadable_ = 0;
};

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

ToolOutput Files::glob(const json& input) {
  return call::answer([&] {
    std::string pattern = call::required_string(input, "pattern");
    std::string base = absolute_path(cwd_, call::optional_string(input, "path").value_or(cwd_));
    if (pattern.empty()) throw ToolError("pattern is empty; try \"**/*\"");
    Budget budget{Clock::now() + limits_.grep_timeout};
    int probe = open_in_root(root_.get(), base, O_PATH | O_DIRECTORY);
    if (probe < 0) throw ToolError(describe_error(base, -probe));
    ::close(probe);

    std::vector<std::string> patterns;
    try {
      patterns = pattern::expand_braces(pattern);
    } catch (const pattern::BraceLimit& e) {
      throw ToolError(std::string(e.what()) + ": " + pattern);
    }
    GlobWalk walk(root_.get(), budget);
    for (const auto& p : patterns) {
      std::string dir = p.front() == '/' ? "/" : base;
      std::vector<std::string> segments = pattern::split_segments(p);
      // Leading literal parts are resolved at once (through the root: symlinks allowed).
      std::size_t first = 0;
      while (first + 1 < segments.size() && !pattern::has_glob_syntax(segments[first]))
        dir = absolute_path(dir, segments[first++]);
      segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(first));
      if (segments.empty()) segments.push_back("**");  // a pattern of only "/" or "."
      walk.run(dir, segments);
    }
    auto& matches = walk.matches();
    std::sort(matches.begin(), matches.end(), [](const GlobMatch& a, const GlobMatch& b) {
      if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec > b.mtime.tv_sec;
      if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec > b.mtime.tv_nsec;
      return a.path < b.path;
    });
    std::string out;
    std::size_t shown = std::min(matches.size(), limits_.max_glob_results);
    for (std::size_t i = 0; i < shown; ++i)
      out += matches[i].path + "\n";
    if (matches.empty()) out = "no files match " + pattern + " in " + base + "\n";
    if (walk.total() > shown)
      out += "[showing the " + std::to_string(shown) + " most recently modified of " +
             std::to_string(walk.total()) + " matches; narrow the pattern to see others]\n";
    out += budget.notes(limits_.grep_timeout);
    if (walk.unreadable())
      out += "[" + plural(walk.unreadable(), "directory", "directories") +
             " could not be read (permission denied)]\n";
    return ToolOutput::text(std::move(out));
  });
}

ToolOutput Files::grep(const json& input) {
  return call::answer([&] {
    std::string source = call::required_string(input, "pattern");
    std::string path = absolute_path(cwd_, call::optional_string(input, "path").value_or(cwd_));
    Regex re(source);
    Budget budget{Clock::now() + limits_.grep_timeout};
    UniqueFd fd = open_or_throw(root_.get(), path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw ToolError(describe_error(path, errno));
    GrepWalk walk(re, limits_.max_output_bytes, budget);
    if (S_ISDIR(st.st_mode))
      walk.directory(fd.get(), path, 0, is_virtual_fs(fd.get()));
    else if (S_ISREG(st.st_mode))
      walk.search(fd.get(), path);
    else
      throw ToolError(path + " is not a regular file or directory");

    bool truncated = walk.full();
    std::string out = std::move(walk.output());
    if (truncated) {
      // Cut back to the last whole line within the cap.
      std::size_t cut = out.rfind('\n', limits_.max_output_bytes - 1);
      out.resize(cut == std::string::npos ? 0 : cut + 1);
    }
    if (walk.matches() == 0) out = "no matches for " + json(source).dump() + " in " + path + "\n";
    // Binary files are skipped silently in a tree (like ripgrep), but not when asked for.
    if (S_ISREG(st.st_mode) && walk.skipped_binary())
      out = path + " is a binary file; grep searches text files only\n";
    if (truncated)
      out += "[output capped at " + text::human_size(limits_.max_output_bytes) +
             "; narrow the pattern or the path]\n";
    out += budget.notes(limits_.grep_timeout);
    if (walk.skipped_large())
      out += "[skipped " + plural(walk.skipped_large(), "file", "files") + " over " +
             text::human_size(kMaxGrepFileBytes) + "]\n";
    if (walk.unreadable())
      out += "[" + plural(walk.unreadable(), "file or directory", "files or directories") +
             " could not be read (permission denied)]\n";
    return ToolOutput::text(std::move(out));
  });
}

}  // namespace cove::tools
