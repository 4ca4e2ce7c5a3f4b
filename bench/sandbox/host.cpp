#include "bench/sandbox/host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace cove::bench {
namespace {

// The value of "Key:   123 kB" in a /proc file, in KiB.
long field_kib(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':')
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  return 0;
}

pid_t parent_of(pid_t pid) {
  return static_cast<pid_t>(field_kib("/proc/" + std::to_string(pid) + "/status", "PPid"));
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string first_line_of(const std::string& shell_command) {
  FILE* p = ::popen((shell_command + " 2>&1").c_str(), "r");
  if (!p) return "";
  char buf[256] = {};
  if (!std::fgets(buf, sizeof buf, p)) buf[0] = 0;
  ::pclose(p);
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  return line;
}

Launcher::Launcher() : null_fd_(::open("/dev/null", O_RDWR | O_CLOEXEC)) {
  if (null_fd_ < 0) throw std::runtime_error(std::string("open /dev/null: ") + strerror(errno));
}

Launcher::~Launcher() {
  ::close(null_fd_);
}

pid_t Launcher::spawn(const std::vector<std::string>& argv, int info_fd) const {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  static char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* envp[] = {path_env, nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd < 3; ++fd)
    posix_spawn_file_actions_adddup2(&actions, null_fd_, fd);
  if (info_fd >= 0) posix_spawn_file_actions_adddup2(&actions, info_fd, 3);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("spawn " + argv[0] + ": " + strerror(err));
  return pid;
}

void Launcher::run(const std::vector<std::string>& argv) const {
  int status = wait_for(spawn(argv));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string cmd;
  for (const auto& a : argv)
    cmd += (cmd.empty() ? "" : " ") + a;
  throw std::runtime_error(
      cmd + ": " + (WIFEXITED(status) ? "exit code " : "killed by signal ") +
      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)));
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + strerror(errno));
  return status;
}

Memory memory_of(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid);
  return Memory{field_kib(dir + "/status", "VmRSS"), field_kib(dir + "/smaps_rollup", "Pss")};
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

std::vector<pid_t> descendants_of(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
      if (pid > 0) children.emplace(parent_of(pid), pid);
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [first, last] = children.equal_range(p);
    for (auto it = first; it != last; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

}  // namespace cove::bench
