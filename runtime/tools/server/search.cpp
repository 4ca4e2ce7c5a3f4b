// The glob and grep tools: walks of the sandbox's tree, as the sandbox user. A walk goes
// down one directory fd at a time (openat with O_NOFOLLOW on a single name), so it never
// follows a symlink out; only literal path parts are resolved through the root
// (RESOLVE_IN_ROOT). .git directories and /proc-like file systems are not entered.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <regex.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "runtime/tools/pattern.hpp"
#include "runtime/tools/sandbox_fs.hpp"
#include "runtime/tools/text.hpp"
#include "runtime/tools/tool_call.hpp"
#include "runtime/tools/tools.hpp"

namespace cove::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxGrepFileBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxGrepLineBytes = 1000;

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

// Opens subdirectory `name` of `parent` for a walk: no symlinks, no .git, no crossing into
// /proc, /sys and the like. -1 when it is not to be entered.
int enter(int parent, const Entry& entry, bool parent_virtual) {
  if (entry.name == ".git") return -1;
  if (entry.type != DT_DIR && entry.type != DT_UNKNOWN) return -1;
  int fd = ::openat(parent, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (!parent_virtual && is_virtual_fs(fd)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Time and stop-token limits of one search.
struct Budget {
  Clock::time_point deadline;
  std::stop_token stop;
  bool timed_out = false;
  bool interrupted = false;

  bool exhausted() {
    if (stop.stop_requested()) interrupted = true;
    if (Clock::now() >= deadline) timed_out = true;
    return timed_out || interrupted;
  }
};

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
    sandbox::UniqueFd dir(fd);
    walk(dir.get(), base, 0, is_virtual_fs(fd));
  }

  std::vector<GlobMatch>& matches() { return matches_; }
  std::size_t unreadable() const { return unreadable_; }

 private:
  void add(int dir_fd, const std::string& dir, const std::string& name) {
    std::string path = join_path(dir, name);
    if (!seen_.insert(path).second) return;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    matches_.push_back({std::move(path), st.st_mtim});
  }

  // Everything below `dir`, recursively: the "**" at the end of a pattern.
  void add_all(int dir_fd, const std::string& dir, bool is_virtual) {
    if (budget_.exhausted()) return;
    for (const Entry& e : list_directory(dir_fd, unreadable_)) {
      add(dir_fd, dir, e.name);
      sandbox::UniqueFd sub(enter(dir_fd, e, is_virtual));
      if (sub) add_all(sub.get(), join_path(dir, e.name), is_virtual_fs(sub.get()));
    }
  }

  void walk(int dir_fd, const std::string& dir, std::size_t i, bool is_virtual) {
    if (budget_.exhausted() || !visited_.insert({dir, i}).second) return;
    const std::string& seg = (*segments_)[i];
    bool last = i + 1 == segments_->size();
    if (seg == "**") {
      if (last) return add_all(dir_fd, dir, is_virtual);
      walk(dir_fd, dir, i + 1, is_virtual);  // "**" as zero directories
      for (const Entry& e : list_directory(dir_fd, unreadable_)) {
        sandbox::UniqueFd sub(enter(dir_fd, e, is_virtual));
        if (sub) walk(sub.get(), join_path(dir, e.name), i, is_virtual_fs(sub.get()));
      }
      return;
    }
    if (!pattern::has_glob_syntax(seg)) {
      // A literal name: looked up, not listed (so hidden names and symlinked dirs work).
      if (last) return add(dir_fd, dir, seg);
      std::string path = join_path(dir, seg);
      int fd = open_in_root(root_, path, O_RDONLY | O_DIRECTORY);
      if (fd < 0) return;
      sandbox::UniqueFd sub(fd);
      return walk(sub.get(), path, i + 1, is_virtual_fs(fd));
    }
    for (const Entry& e : list_directory(dir_fd, unreadable_)) {
      if (!pattern::match_segment(seg, e.name)) continue;
      if (last) {
        add(dir_fd, dir, e.name);
        continue;
      }
      sandbox::UniqueFd sub(enter(dir_fd, e, is_virtual));
      if (sub) walk(sub.get(), join_path(dir, e.name), i + 1, is_virtual_fs(sub.get()));
    }
  }

  int root_;
  Budget& budget_;
  const std::vector<std::string>* segments_ = nullptr;
  std::vector<GlobMatch> matches_;
  std::set<std::string> seen_;
  std::set<std::pair<std::string, std::size_t>> visited_;
  std::size_t unreadable_ = 0;
};

// ---- grep ------------------------------------------------------------------------------

class Regex {
 public:
  explicit Regex(const std::string& source) {
    bool icase = false;
    std::string posix = pattern::to_posix_extended(source, icase);
    int flags = REG_EXTENDED | REG_NEWLINE | (icase ? REG_ICASE : 0);
    if (int rc = ::regcomp(&re_, posix.c_str(), flags)) {
      char msg[256];
      ::regerror(rc, &re_, msg, sizeof msg);
      throw ToolError("invalid regular expression " + json(source).dump() + ": " + msg +
                      " (POSIX extended syntax; lookarounds and backreferences are not supported)");
    }
  }
  ~Regex() { ::regfree(&re_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // The first match in data[from, size): its start offset, or npos.
  std::size_t find(std::string_view data, std::size_t from) const {
    regmatch_t m[1];
    m[0].rm_so = static_cast<regoff_t>(from);
    m[0].rm_eo = static_cast<regoff_t>(data.size());
    if (::regexec(&re_, data.data(), 1, m, REG_STARTEND) != 0) return std::string_view::npos;
    return static_cast<std::size_t>(m[0].rm_so);
  }

 private:
  regex_t re_;
};

class GrepWalk {
 public:
  GrepWalk(const Regex& re, std::size_t max_output, Budget& budget)
      : re_(re), max_output_(max_output), budget_(budget) {}

  void directory(int dir_fd, const std::string& dir, bool is_virtual) {
    for (const Entry& e : list_directory(dir_fd, unreadable_)) {
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
        sandbox::UniqueFd file(fd);
        search(file.get(), join_path(dir, e.name));
      } else if (type == DT_DIR) {
        sandbox::UniqueFd sub(enter(dir_fd, {e.name, DT_DIR}, is_virtual));
        if (sub) directory(sub.get(), join_path(dir, e.name), is_virtual_fs(sub.get()));
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
    while (pos <= data.size() && !full()) {
      std::size_t at = re_.find(data, pos);
      if (at == std::string_view::npos) break;
      // An empty match past the last newline is not on a line.
      if (at == data.size() && (data.empty() || data.back() == '\n')) break;
      std::size_t nl = at == 0 ? std::string::npos : data.rfind('\n', at - 1);
      std::size_t start = nl == std::string::npos ? 0 : nl + 1;
      std::size_t end = data.find('\n', at);
      if (end == std::string::npos) end = data.size();
      line += static_cast<std::size_t>(
          std::count(data.begin() + static_cast<std::ptrdiff_t>(counted_to),
                     data.begin() + static_cast<std::ptrdiff_t>(start), '\n'));
      counted_to = start;
      std::string_view text = std::string_view(data).substr(start, end - start);
      out_ += path + ":" + std::to_string(line) + ":";
      if (text.size() > kMaxGrepLineBytes) {
        out_.append(text.substr(0, kMaxGrepLineBytes));
        out_ += " [... line truncated]";
      } else {
        out_.append(text);
      }
      out_ += '\n';
      ++matches_;
      pos = end + 1;
      if ((matches_ & 1023) == 0 && budget_.exhausted()) return;
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

ToolOutput Workspace::glob(const json& input) {
  return call::as_user(uid_, gid_, [&] {
    std::string pattern = call::required_string(input, "pattern");
    std::string base = absolute_path(cwd_, call::optional_string(input, "path").value_or(cwd_));
    if (pattern.empty()) throw ToolError("pattern is empty; try \"**/*\"");
    Budget budget{Clock::now() + limits_.grep_timeout, {}};
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
    if (matches.size() > shown)
      out += "[showing the " + std::to_string(shown) + " most recently modified of " +
             std::to_string(matches.size()) + " matches; narrow the pattern to see others]\n";
    if (budget.timed_out)
      out += "[the search stopped after " + std::to_string(limits_.grep_timeout.count() / 1000) +
             " s; results are partial]\n";
    if (walk.unreadable())
      out += "[" + plural(walk.unreadable(), "directory", "directories") +
             " could not be read (permission denied)]\n";
    return ToolOutput::text(std::move(out));
  });
}

ToolOutput Workspace::grep(const json& input, std::stop_token stop) {
  return call::as_user(uid_, gid_, [&] {
    std::string source = call::required_string(input, "pattern");
    std::string path = absolute_path(cwd_, call::optional_string(input, "path").value_or(cwd_));
    Regex re(source);
    Budget budget{Clock::now() + limits_.grep_timeout, stop};
    sandbox::UniqueFd fd = open_or_throw(root_.get(), path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw ToolError(describe_error(path, errno));
    GrepWalk walk(re, limits_.max_output_bytes, budget);
    if (S_ISDIR(st.st_mode))
      walk.directory(fd.get(), path, is_virtual_fs(fd.get()));
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
    if (budget.timed_out)
      out += "[the search stopped after " + std::to_string(limits_.grep_timeout.count() / 1000) +
             " s; results are partial]\n";
    if (budget.interrupted) out += "[interrupted]\n";
    if (walk.skipped_large())
      out += "[skipped " + plural(walk.skipped_large(), "file", "files") + " over " +
             text::human_size(kMaxGrepFileBytes) + "]\n";
    if (walk.unreadable())
      out += "[" + plural(walk.unreadable(), "file or directory", "files or directories") +
             " could not be read (permission denied)]\n";
    ToolOutput result = ToolOutput::text(std::move(out));
    result.is_error = budget.interrupted;
    return result;
  });
}

}  // namespace cove::tools
