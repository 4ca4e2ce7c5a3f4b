#include "sandbox/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/unique_fd.hpp"
#include "sandbox/error.hpp"

namespace cove::sandbox {
namespace {

constexpr const char* kStep = "cgroup";
constexpr uint64_t kCpuPeriodUs = 100000;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

void write_file(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno(kStep, "open " + path, errno);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    throw_errno(kStep, "write " + value + " to " + path, errno);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whether the space-separated list `words` holds `word` ("cpu" is not "cpuset").
bool has_word(const std::string& words, std::string_view word) {
  std::istringstream in(words);
  for (std::string w; in >> w;)
    if (w == word) return true;
  return false;
}

// A cgroup path seen in /proc/self/cgroup, placed under the hierarchy's mount point.
std::string under_mount(std::string_view mountpoint, std::string_view root, std::string_view path) {
  if (root != "/" && path.substr(0, root.size()) == root) path.remove_prefix(root.size());
  std::string dir(mountpoint);
  if (!path.empty() && path != "/") dir += path;
  return dir;
}

void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno(kStep, "mkdir " + dir, errno);
}

// Removes cgroups left behind by cove processes that no longer exist (e.g. after kill -9).
void sweep_stale(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    unsigned long pid = 0;
    unsigned long n = 0;
    if (std::sscanf(e->d_name, "cove-%lu-%lu", &pid, &n) != 2) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    ::rmdir((parent + "/" + e->d_name).c_str());
  }
  ::closedir(d);
}

// Removes `dir` and the empty cgroups below it; false (errno EBUSY) while processes remain.
bool remove_tree(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 &&
          std::strcmp(e->d_name, "..") != 0)
        remove_tree(dir + "/" + e->d_name);
    ::closedir(d);
  }
  return ::rmdir(dir.c_str()) == 0 || errno == ENOENT;
}

// A sandbox cgroup of this name already exists: a daemon that was killed (kill -9) left it.
// Its sandbox's init died with that daemon, and the kernel killed everything inside with
// it, so it is empty or about to be: remove it, so that it is made afresh with this
// sandbox's limits. One that still holds processes after a while is a live sandbox's.
void remove_leftover(const std::string& dir) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (remove_tree(dir)) return;
    if (errno != EBUSY) throw_errno(kStep, "remove leftover " + dir, errno);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw SandboxError(kStep, dir +
                                " already exists and still holds processes: is another cove "
                                "running this session? (stop it, or kill the processes in it)");
}

// cgroup v2 only lets a cgroup without processes hand controllers to its children. When
// cove's own cgroup holds processes, cove moves itself into a leaf child of it first (still
// inside its own subtree), then enables the controllers.
void enable_v2_controllers(const std::string& base) {
  const std::string wanted = "+memory +pids +cpu";
  std::string have = read_file(base + "/cgroup.controllers");
  for (auto c : {"memory", "pids", "cpu"})
    if (!has_word(have, c))
      throw SandboxError(kStep, std::string("the ") + c + " controller is not available in " +
                                    base + " (delegate it to cove's cgroup)");
  std::string enabled = read_file(base + "/cgroup.subtree_control");
  if (has_word(enabled, "memory") && has_word(enabled, "pids") && has_word(enabled, "cpu")) return;
  UniqueFd fd(::open((base + "/cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno(kStep, "open " + base + "/cgroup.subtree_control", errno);
  if (::write(fd.get(), wanted.data(), wanted.size()) == static_cast<ssize_t>(wanted.size()))
    return;
  if (errno != EBUSY) throw_errno(kStep, "enable controllers in " + base, errno);
  std::string self = base + "/cove-supervisor";
  make_dir(self);
  write_file(self + "/cgroup.procs", std::to_string(::getpid()));
  write_file(base + "/cgroup.subtree_control", wanted);
}

}  // namespace

CgroupLayout CgroupLayout::parse(std::string_view proc_self_cgroup, std::string_view mountinfo) {
  struct Mount {
    std::string root, point;
  };
  std::vector<std::pair<std::string, Mount>> v1;  // controller -> mount
  std::optional<Mount> v2;
  for (auto line : split(mountinfo, '\n')) {
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto head = split(line.substr(0, dash), ' ');
    auto tail = split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    Mount m{std::string(head[3]), std::string(head[4])};
    if (tail[0] == "cgroup2") {
      v2 = m;
    } else if (tail[0] == "cgroup") {
      for (auto opt : split(tail[2], ','))
        v1.emplace_back(std::string(opt), m);
    }
  }
  CgroupLayout layout;
  std::string v2_path;
  for (auto line : split(proc_self_cgroup, '\n')) {
    auto parts = split(line, ':');
    if (parts.size() < 3) continue;
    std::string_view path = line.substr(parts[0].size() + parts[1].size() + 2);
    if (parts[1].empty()) {
      v2_path = path;
      continue;
    }
    for (auto controller : split(parts[1], ',')) {
      auto it = std::find_if(v1.begin(), v1.end(), [&](auto& e) { return e.first == controller; });
      if (it == v1.end()) continue;
      Hierarchy h{under_mount(it->second.point, it->second.root, path), false};
      if (controller == "memory") layout.memory = h;
      if (controller == "pids") layout.pids = h;
      if (controller == "cpu") layout.cpu = h;
    }
  }
  if (v2) {
    Hierarchy h{under_mount(v2->point, v2->root, v2_path.empty() ? "/" : v2_path), true};
    if (!layout.memory) layout.memory = h;
    if (!layout.pids) layout.pids = h;
    if (!layout.cpu) layout.cpu = h;
  }
  return layout;
}

std::optional<std::string> CgroupLayout::delegation_problem() const {
  if (!memory || !pids || !cpu) return "no memory, pids or cpu controller is mounted";
  for (const auto& [h, controller] :
       {std::pair{&*memory, "memory"}, std::pair{&*pids, "pids"}, std::pair{&*cpu, "cpu"}}) {
    for (const std::string& path : {h->dir, h->dir + "/cgroup.procs"})
      if (::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0)
        return "cove's cgroup " + path + " is not writable by uid " + std::to_string(::geteuid()) +
               " (" + std::strerror(errno) + ")";
    if (h->v2 && !has_word(read_file(h->dir + "/cgroup.controllers"), controller))
      return std::string("the ") + controller + " controller is not delegated to " + h->dir;
  }
  return std::nullopt;
}

std::optional<std::string> unenforced_limits(const CgroupLayout& layout) {
  if (::geteuid() == 0) return std::nullopt;
  auto problem = layout.delegation_problem();
  if (!problem) return std::nullopt;
  return "sandbox limits (memory, processes, CPU) are not enforced: " + *problem +
         ". Run cove in a cgroup delegated to your user, e.g. `systemd-run --user --scope -p "
         "Delegate=yes cove ...`, or as root (docs/sandbox.md, Rootless)";
}

CgroupLayout CgroupLayout::discover() {
  return parse(read_file("/proc/self/cgroup"), read_file("/proc/self/mountinfo"));
}

Cgroup Cgroup::create(const CgroupLayout& layout, const std::string& name, const Limits& limits) {
  if (!layout.memory || !layout.pids || !layout.cpu)
    throw SandboxError(kStep,
                       "no memory, pids or cpu controller is mounted (need cgroup v2 or v1)");
  static std::once_flag swept;
  std::call_once(swept, [&] {
    for (const auto* h : {&*layout.memory, &*layout.pids, &*layout.cpu})
      sweep_stale(h->dir);
  });

  uint64_t quota = static_cast<uint64_t>(std::llround(
      (limits.cpus > 0 ? limits.cpus : std::thread::hardware_concurrency()) * kCpuPeriodUs));
  quota = std::max<uint64_t>(quota, 1000);  // the kernel's minimum is 1 ms
  const std::string memory = std::to_string(limits.memory_bytes);
  const std::string pids = std::to_string(limits.pids);

  Cgroup cg({});
  auto dir_for = [&](const CgroupLayout::Hierarchy& h) {
    std::string dir = h.dir + "/" + name;
    if (std::find(cg.dirs_.begin(), cg.dirs_.end(), dir) == cg.dirs_.end()) {
      if (h.v2) enable_v2_controllers(h.dir);
      if (::mkdir(dir.c_str(), 0755) != 0) {
        if (errno != EEXIST) throw_errno(kStep, "mkdir " + dir, errno);
        remove_leftover(dir);
        if (::mkdir(dir.c_str(), 0755) != 0) throw_errno(kStep, "mkdir " + dir, errno);
      }
      cg.dirs_.push_back(dir);
    }
    return dir;
  };
  std::string mem = dir_for(*layout.memory);
  if (layout.memory->v2) {
    write_file(mem + "/memory.max", memory);
    if (file_exists(mem + "/memory.swap.max")) write_file(mem + "/memory.swap.max", "0");
  } else {
    write_file(mem + "/memory.limit_in_bytes", memory);
    // memsw (memory + swap) equal to the memory limit means no swap at all.
    if (file_exists(mem + "/memory.memsw.limit_in_bytes"))
      write_file(mem + "/memory.memsw.limit_in_bytes", memory);
    else
      write_file(mem + "/memory.swappiness", "0");
  }
  std::string pid = dir_for(*layout.pids);
  write_file(pid + "/pids.max", pids);
  std::string cpu = dir_for(*layout.cpu);
  if (layout.cpu->v2) {
    write_file(cpu + "/cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUs));
  } else {
    write_file(cpu + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs));
    write_file(cpu + "/cpu.cfs_quota_us", std::to_string(quota));
  }
  return cg;
}

bool Cgroup::remove_stale(const CgroupLayout& layout, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return false;
  bool all = true;
  for (const auto& h : {layout.memory, layout.pids, layout.cpu})
    if (h && !remove_tree(h->dir + "/" + name)) all = false;
  return all;
}

void Cgroup::attach(pid_t pid) const {
  for (const auto& dir : dirs_)
    write_file(dir + "/cgroup.procs", std::to_string(pid));
}

void Cgroup::kill_all() const {
  for (const auto& dir : dirs_) {
    std::istringstream procs(read_file(dir + "/cgroup.procs"));
    for (pid_t pid; procs >> pid;)
      ::kill(pid, SIGKILL);
  }
}

Cgroup::~Cgroup() {
  for (const auto& dir : dirs_) {
    // Processes that were just killed leave the cgroup asynchronously; retry briefly.
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      if (attempt == 20) kill_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

}  // namespace cove::sandbox
