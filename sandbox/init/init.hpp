// The sandbox's init: pid 1 of the sandbox's pid namespace.
//
// It is a small static program that cove executes from a sealed memfd. It finishes the
// isolation from inside the namespaces (mounts, hostname, loopback), then stays as the
// sandbox's reaper and runs commands on request: fork, drop everything, exec. One file per
// kernel mechanism: mnt.cpp, net.cpp, caps.cpp (identity, capabilities, rlimits,
// no_new_privs), spawn.cpp (one command), reaper.cpp (the request loop), io.cpp (messages).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/protocol.hpp"

namespace cove::sandbox::init {

// A failed step, as one line: "<what>: <strerror>".
struct Failure {
  std::string message;
  int error = 0;  // errno, when a system call failed
};
[[noreturn]] void fail(std::string_view what, int err);
[[noreturn]] void fail(std::string_view what);

// mnt.cpp: builds the new root from the plan and pivots into it; afterwards "/" is the
// sandbox's read-only tmpfs root.
// host_sources: the captured host bind sources, one per host bind of the plan, in order
// (init owns them from here on).
void build_root(const std::vector<wire::MountOp>& plan, std::vector<int> host_sources);
// Captures the plan's host bind sources from inside the sandbox's mount namespace, for an
// unprivileged supervisor (Setup::init_captures_sources); init is then the same host user.
std::vector<int> capture_host_sources(const std::vector<wire::MountOp>& plan);

// net.cpp: brings up "lo", the only interface of the sandbox's network namespace.
void bring_up_loopback();

// caps.cpp
void become(uint32_t uid, uint32_t gid, bool clear_groups);  // init's own identity
void disable_nested_user_namespaces();
void apply_rlimits(const std::vector<wire::Rlimit>& limits);
// Switches to the sandbox user with empty capability sets and no_new_privs.
void drop_privileges(uint32_t uid, uint32_t gid, bool clear_groups);

// io.cpp: one message per packet on the control socket, fds via SCM_RIGHTS.
// Returns false on EOF (the supervisor is gone).
bool receive(int sock, std::string& msg, std::vector<int>& fds);
void send(int sock, const std::string& msg);
std::string failure_message(wire::Type type, uint32_t id, const Failure& f);

// spawn.cpp: forks and execs one command; returns its pid or throws Failure.
struct SpawnContext {
  const wire::Setup* setup;
  int stdio[3];      // -1 = keep /dev/null
  int exec_fd = -1;  // the program to execveat, or -1 to search argv[0]
};
int spawn(const wire::Spawn& req, const SpawnContext& ctx);

// reaper.cpp: serves requests until the supervisor goes away. Never returns.
[[noreturn]] void serve(int sock, const wire::Setup& setup);

}  // namespace cove::sandbox::init
