#include "sandbox/mount_plan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "sandbox/error.hpp"

namespace cove::sandbox {
namespace {

using wire::MountKind;
using wire::MountOp;

constexpr uint32_t kBindFlags = wire::kNoSuid | wire::kNoDev;

class RealHost final : public HostView {
 public:
  std::optional<std::string> symlink_target(const std::string& path) const override {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0 || n == sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }
  bool is_directory(const std::string& path) const override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  bool exists(const std::string& path) const override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
};

// True when `path` equals `dir` or lies below it.
bool is_within(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

size_t depth(const std::string& path) {
  return std::count(path.begin(), path.end(), '/');
}

[[noreturn]] void invalid(const std::string& what) {
  throw SandboxError("mount plan", what);
}

void add_devices(std::vector<MountOp>& plan, const HostView& host) {
  plan.push_back(
      {MountKind::kTmpfs, wire::kNoSuid | wire::kNoExec, 0, "", "/dev", "mode=0755,size=64k"});
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string path = std::string("/dev/") + dev;
    if (host.exists(path))
      plan.push_back({MountKind::kBind, wire::kNoSuid | wire::kNoExec, 0, path, path, ""});
  }
  plan.push_back({MountKind::kSymlink, 0, 0, "", "/dev/fd", "/proc/self/fd"});
  plan.push_back({MountKind::kSymlink, 0, 0, "", "/dev/stdin", "/proc/self/fd/0"});
  plan.push_back({MountKind::kSymlink, 0, 0, "", "/dev/stdout", "/proc/self/fd/1"});
  plan.push_back({MountKind::kSymlink, 0, 0, "", "/dev/stderr", "/proc/self/fd/2"});
  plan.push_back({MountKind::kSymlink, 0, 0, "", "/dev/ptmx", "pts/ptmx"});
  plan.push_back({MountKind::kDevpts, wire::kNoSuid | wire::kNoExec, 0, "", "/dev/pts",
                  "newinstance,ptmxmode=0666,mode=0620"});
}

}  // namespace

const HostView& HostView::real() {
  static const RealHost host;
  return host;
}

const std::vector<std::string>& system_dirs() {
  static const std::vector<std::string> dirs = {"/usr", "/etc",   "/bin",   "/sbin",
                                                "/lib", "/lib32", "/lib64", "/libx32"};
  return dirs;
}

bool is_normal_absolute_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string passwd_file(const Identity& id) {
  return "root:x:0:0:root:/root:/usr/sbin/nologin\n" + id.user_name +
         ":x:" + std::to_string(id.user) + ":" + std::to_string(id.user) +
         ":cove sandbox user:" + id.home +
         ":/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
}

std::string group_file(const Identity& id) {
  return "root:x:0:\ntty:x:5:\n" + id.user_name + ":x:" + std::to_string(id.user) +
         ":\nnogroup:x:65534:\n";
}

std::vector<MountOp> build_mount_plan(const SandboxSpec& spec, const HostView& host) {
  // Validate the caller's binds before planning anything.
  std::vector<Bind> binds = spec.binds;
  for (size_t i = 0; i < binds.size(); ++i) {
    const Bind& b = binds[i];
    std::string name = "bind " + b.source + ":" + b.target;
    if (!is_normal_absolute_path(b.source))
      invalid(name + ": source must be an absolute path without '.', '..' or trailing '/'");
    if (!is_normal_absolute_path(b.target) || b.target == "/")
      invalid(name + ": target must be an absolute path below / without '.' or '..'");
    for (const auto& dir : system_dirs())
      if (is_within(b.target, dir)) invalid(name + ": target is inside system directory " + dir);
    for (const char* reserved : {"/proc", "/dev", "/run/cove"})
      if (is_within(b.target, reserved)) invalid(name + ": target is inside " + reserved);
    if (!host.exists(b.source)) invalid(name + ": source does not exist");
    for (size_t j = 0; j < i; ++j)
      if (binds[j].target == b.target) invalid(name + ": target is used by another bind");
  }
  // Parents before children, so a bind at /workspace/a/b lands on top of /workspace/a.
  std::stable_sort(binds.begin(), binds.end(),
                   [](const Bind& a, const Bind& b) { return depth(a.target) < depth(b.target); });

  std::vector<MountOp> plan;
  for (const auto& dir : system_dirs()) {
    if (auto link = host.symlink_target(dir))
      plan.push_back({MountKind::kSymlink, 0, 0, "", dir, *link});
    else if (host.is_directory(dir))
      plan.push_back({MountKind::kBind, kBindFlags | wire::kReadOnly, 0, dir, dir, ""});
  }
  plan.push_back(
      {MountKind::kProc, wire::kNoSuid | wire::kNoDev | wire::kNoExec, 0, "", "/proc", ""});
  // The kernel's global knobs under /proc, read-only as container runtimes make them: a second
  // layer behind the sandbox user's own permissions (sysctls are checked against the writer's
  // euid, and /proc/sys resolves against the writer's namespaces).
  // (The sandbox's /proc shows what the host's does: a knob this kernel lacks is skipped.)
  for (const char* knob :
       {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"})
    if (host.exists(knob))
      plan.push_back({MountKind::kBind, kBindFlags | wire::kReadOnly | wire::kSourceInRoot, 0, knob,
                      knob, ""});
  add_devices(plan, host);
  const std::string tmp_opts = "mode=1777,size=" + std::to_string(spec.limits.tmp_bytes);
  plan.push_back({MountKind::kTmpfs, wire::kNoSuid | wire::kNoDev, 0, "", "/dev/shm", tmp_opts});
  plan.push_back({MountKind::kTmpfs, wire::kNoSuid | wire::kNoDev, 0, "", "/tmp", tmp_opts});

  if (host.is_directory("/etc")) {
    plan.push_back({MountKind::kDir, 0, 0755, "", "/run/cove", ""});
    for (auto [name, text] : {std::pair{"passwd", passwd_file(spec.identity)},
                              std::pair{"group", group_file(spec.identity)}}) {
      std::string staged = std::string("/run/cove/") + name;
      plan.push_back({MountKind::kFile, 0, 0644, "", staged, text});
      plan.push_back({MountKind::kBind, kBindFlags | wire::kReadOnly | wire::kSourceInRoot, 0,
                      staged, std::string("/etc/") + name, ""});
    }
  }
  for (const auto& b : binds)
    plan.push_back({MountKind::kBind,
                    kBindFlags | (b.read_only ? wire::kReadOnly : 0u) |
                        (b.owned_by_caller ? wire::kOwnedByCaller : 0u),
                    0, b.source, b.target, ""});
  return plan;
}

}  // namespace cove::sandbox
