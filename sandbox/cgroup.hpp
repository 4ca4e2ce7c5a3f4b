// Control groups: memory (swap 0), pids and CPU limits for one sandbox.
//
// cove nests each sandbox's cgroup beneath the cgroup cove itself runs in, in every
// hierarchy (read from /proc/self/cgroup), so limits set above cove keep holding. Pure
// cgroup v2 and the v1/v2 hybrid (controllers on v1 hierarchies) are both supported.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/spec.hpp"

namespace cove::sandbox {

struct CgroupLayout {
  struct Hierarchy {
    std::string dir;  // cove's own cgroup directory in this hierarchy
    bool v2 = false;
  };
  std::optional<Hierarchy> memory, pids, cpu;

  // The layout of the calling process.
  static CgroupLayout discover();
  // Why an unprivileged process cannot make sandbox cgroups here, or nullopt when it can:
  // cove's own cgroup must be delegated to its user in every hierarchy (the directory and
  // its cgroup.procs writable; on cgroup v2 also memory, pids and cpu available in it).
  std::optional<std::string> delegation_problem() const;
  // The layout described by /proc/self/cgroup and /proc/self/mountinfo texts.
  static CgroupLayout parse(std::string_view proc_self_cgroup, std::string_view mountinfo);
};

// Why sandboxes started by this process run without cgroup limits, as one line that says
// how to get them, or nullopt when they have them. Host root always has them (a cgroup
// failure is then an error); anyone else only inside a delegated cgroup.
std::optional<std::string> unenforced_limits(const CgroupLayout& layout);

// One sandbox's cgroups. Move-only; the destructor removes the directories.
class Cgroup {
 public:
  // Creates `name` below cove's cgroup in each hierarchy and applies `limits`.
  // Throws SandboxError("cgroup", ...) naming the file that could not be written.
  static Cgroup create(const CgroupLayout& layout, const std::string& name, const Limits& limits);

  Cgroup(Cgroup&& o) noexcept : dirs_(std::move(o.dirs_)) { o.dirs_.clear(); }
  Cgroup& operator=(Cgroup&&) = delete;
  Cgroup(const Cgroup&) = delete;
  ~Cgroup();

  // Removes the cgroups `name` (and the empty ones below them) that a sandbox whose cove
  // died left below cove's cgroup. False when one still holds processes (a live sandbox's):
  // it is left alone. Nothing there is true too.
  static bool remove_stale(const CgroupLayout& layout, const std::string& name);

  // Moves `pid` (all its threads) into every cgroup of this sandbox.
  void attach(pid_t pid) const;
  // SIGKILLs every process still in the cgroups.
  void kill_all() const;
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  explicit Cgroup(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}
  std::vector<std::string> dirs_;
};

}  // namespace cove::sandbox
