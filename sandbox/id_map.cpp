#include "sandbox/id_map.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/unique_fd.hpp"
#include "sandbox/error.hpp"

namespace cove::sandbox {
namespace {

constexpr const char* kStep = "user namespace";

void write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno(kStep, "open " + path, errno);
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size()))
    throw_errno(kStep, "write " + path, n < 0 ? errno : EIO);
}

// The placeholder process of idmap_userns: waits until its parent closes the pipe (its own
// copy of the write end closed first, or it would wait for itself).
int hold_namespace(void* arg) {
  const int* pipe = static_cast<const int*>(arg);
  ::close(pipe[1]);
  char byte;
  while (::read(pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::_exit(0);
}

}  // namespace

UniqueFd idmap_userns(uid_t from_uid, gid_t from_gid, HostIds to) {
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) throw_errno(kStep, "pipe2", errno);
  UniqueFd read_end(hold[0]), write_end(hold[1]);
  alignas(16) static thread_local char stack[16 * 1024];
  // No CLONE_VM: the child is a copy that only reads and exits (async-signal-safe).
  pid_t child = ::clone(hold_namespace, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, hold);
  if (child < 0) throw_errno(kStep, "clone for an id-mapped mount", errno);
  UniqueFd ns;
  std::string error;
  int err = 0;
  try {
    IdMapping maps;
    maps.uid_map = std::to_string(from_uid) + " " + std::to_string(to.uid) + " 1\n";
    maps.gid_map = std::to_string(from_gid) + " " + std::to_string(to.gid) + " 1\n";
    write_id_mapping(child, maps);
    std::string path = "/proc/" + std::to_string(child) + "/ns/user";
    ns.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
      err = errno;
      error = "open " + path;
    }
  } catch (const SandboxError& e) {
    error = e.what();
  }
  write_end.reset();
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!error.empty()) {
    if (err) throw_errno(kStep, error, err);
    throw SandboxError(kStep, error);
  }
  return ns;
}

IdMapping plan_id_mapping(const Identity& id, uid_t supervisor_uid, gid_t supervisor_gid) {
  if (id.count == 0 || id.user >= id.count)
    throw SandboxError(kStep, "sandbox user " + std::to_string(id.user) +
                                  " is outside the mapped range of " + std::to_string(id.count));
  IdMapping m;
  if (supervisor_uid == 0) {
    if (id.host_base == 0)
      throw SandboxError(kStep, "refusing to map sandbox ids onto host uid 0 (host_base is 0)");
    if (uint64_t{id.host_base} + id.count > uint64_t{UINT32_MAX})
      throw SandboxError(kStep, "host id range overflows 32 bits");
    std::string line = "0 " + std::to_string(id.host_base) + " " + std::to_string(id.count) + "\n";
    m.uid_map = m.gid_map = line;
    m.init_uid = m.init_gid = 0;
    m.privileged = true;
  } else {
    // Unprivileged: one id only, the supervisor's own, which becomes the sandbox user.
    m.uid_map = std::to_string(id.user) + " " + std::to_string(supervisor_uid) + " 1\n";
    m.gid_map = std::to_string(id.user) + " " + std::to_string(supervisor_gid) + " 1\n";
    m.deny_setgroups = true;
    m.init_uid = m.init_gid = id.user;
  }
  return m;
}

HostIds sandbox_user_on_host(const Identity& id, uid_t supervisor_uid, gid_t supervisor_gid) {
  if (supervisor_uid != 0) return {supervisor_uid, supervisor_gid};
  return {id.host_base + id.user, id.host_base + id.user};
}

HostIds sandbox_user_on_host(const Identity& id) {
  return sandbox_user_on_host(id, ::geteuid(), ::getegid());
}

void write_id_mapping(pid_t pid, const IdMapping& m) {
  if (m.deny_setgroups) write_proc_file(pid, "setgroups", "deny");
  write_proc_file(pid, "uid_map", m.uid_map);
  write_proc_file(pid, "gid_map", m.gid_map);
}

}  // namespace cove::sandbox
