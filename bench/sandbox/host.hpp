// The host side of the benchmark: starting peer programs (cove's CLI, bwrap, nsenter) the
// way a shell-less harness does, and reading process memory from /proc.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cove::bench {

// The absolute path of `name` found in $PATH, or "" when it is not installed.
std::string find_program(const std::string& name);

// First line of a command's standard output ("" on failure); for version banners only.
std::string first_line_of(const std::string& shell_command);

// Starts programs with posix_spawn (no shell, no PATH search), stdio on /dev/null and an
// empty environment apart from PATH. Thread-safe.
class Launcher {
 public:
  Launcher();
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Starts argv (argv[0] an absolute path). When `info_fd` >= 0 it becomes the child's fd 3.
  pid_t spawn(const std::vector<std::string>& argv, int info_fd = -1) const;
  // Starts argv and waits; throws std::runtime_error unless it exits 0.
  void run(const std::vector<std::string>& argv) const;

 private:
  int null_fd_;
};

// Waits for `pid`; returns its wait status.
int wait_for(pid_t pid);

// Resident and proportional set sizes of one process in KiB (0 when unreadable).
struct Memory {
  long rss_kib = 0;
  long pss_kib = 0;
};
Memory memory_of(pid_t pid);

// The process's command name (/proc/PID/comm).
std::string comm_of(pid_t pid);

// Every live descendant of `root`, found by one scan of /proc.
std::vector<pid_t> descendants_of(pid_t root);

}  // namespace cove::bench
