#include "tests/support/sandbox_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sandbox/id_map.hpp"

namespace cove::test {

Output run(sandbox::Sandbox& box, const std::vector<std::string>& argv, RunOptions opts) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe2 failed");
  sandbox::SpawnRequest req;
  req.argv = argv;
  req.env = opts.env.empty() ? std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin",
                                                        "HOME=/tmp", "LANG=C.UTF-8"}
                             : opts.env;
  req.cwd = opts.cwd;
  req.timeout = opts.timeout;
  req.stdin_fd = in[0];
  req.stdout_fd = out[1];
  req.stderr_fd = err[1];
  Output result;
  sandbox::Sandbox::Command cmd;
  try {
    cmd = box.spawn(req);
  } catch (...) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      ::close(fd);
    throw;
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  std::thread writer([fd = in[1], input = opts.input] {
    ssize_t ignored = ::write(fd, input.data(), input.size());
    (void)ignored;
    ::close(fd);
  });
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  writer.join();
  result.status = box.wait(cmd);
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) result.kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return result;
}

Output sh(sandbox::Sandbox& box, const std::string& script, RunOptions opts) {
  return run(box, {"/bin/bash", "-c", script}, std::move(opts));
}

namespace {

std::string built_or_staged(const char* built, const char* name) {
  const char* dir = std::getenv("COVE_TEST_BIN_DIR");
  return dir && *dir ? std::string(dir) + "/" + name : std::string(built);
}

}  // namespace

std::string cove_binary() {
  return built_or_staged(COVE_BINARY, "cove");
}

std::string probe_binary() {
  return built_or_staged(COVE_PROBE_PATH, "cove-probe");
}

sandbox::SandboxSpec probe_spec(const std::string& workspace) {
  sandbox::SandboxSpec spec;
  spec.binds.push_back({probe_binary(), kProbe, true});
  if (!workspace.empty()) {
    give_to_sandbox_user(workspace, spec);
    spec.binds.push_back({workspace, kWorkspace, false});
  }
  return spec;
}

void give_to_sandbox_user(const std::string& dir, const sandbox::SandboxSpec& spec) {
  auto owner = sandbox::sandbox_user_on_host(spec.identity);
  if (::chown(dir.c_str(), owner.uid, owner.gid) != 0)
    throw std::runtime_error("chown " + dir + " failed");
}

namespace {

// The host pid's parent, or 0 when it is gone.
pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

// init and its descendants: what the sandbox's pid namespace holds.
std::set<pid_t> descendants_of(pid_t init) {
  std::map<pid_t, pid_t> parents;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = static_cast<pid_t>(std::strtol(entry.path().filename().c_str(), nullptr, 10));
    if (pid > 0) parents[pid] = parent_of(pid);
  }
  std::set<pid_t> found = {init};
  for (bool grew = true; grew;) {
    grew = false;
    for (auto [pid, ppid] : parents)
      if (found.count(ppid) && found.insert(pid).second) grew = true;
  }
  return found;
}

}  // namespace

std::vector<pid_t> host_pids(const sandbox::Sandbox& box) {
  // Without cgroups (rootless, none delegated), the pid namespace's tree is the sandbox.
  if (!box.cgroup()) {
    auto pids = descendants_of(box.init_pid());
    return {pids.begin(), pids.end()};
  }
  std::set<pid_t> pids;
  for (const auto& dir : box.cgroup()->dirs()) {
    std::ifstream procs(dir + "/cgroup.procs");
    for (pid_t pid; procs >> pid;)
      pids.insert(pid);
  }
  return {pids.begin(), pids.end()};
}

bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string skip, state;
  stat >> skip >> skip >> state;
  return state != "Z";
}

}  // namespace cove::test
