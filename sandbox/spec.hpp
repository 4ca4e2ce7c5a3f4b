// What a sandbox is made of: the caller's description of one session's isolation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cove::sandbox {

// One bind from the host into the sandbox. Binds are always nosuid and nodev.
struct Bind {
  std::string source;  // absolute host path (file or directory)
  std::string target;  // absolute path inside the sandbox, e.g. /workspace/repo
  bool read_only = false;
  // The caller's own files are the sandbox user's, as bwrap and docker users expect: files
  // owned by the supervisor's ids appear as the sandbox user's, and what the sandbox user
  // makes there belongs to the supervisor's ids on the host. Rootless this holds for every
  // bind (the caller is the sandbox user); host root gets it through an id-mapped mount when
  // the source is its own (one already chowned to the sandbox user's host uid stays so).
  bool owned_by_caller = false;
};

// Resource limits, enforced with cgroups (memory, pids, cpu), tmpfs sizes and rlimits.
struct Limits {
  uint64_t memory_bytes = 2ull << 30;  // swap is always 0
  uint32_t pids = 1024;
  double cpus = 0;                    // CPU bandwidth in cores; 0 = all online cores
  uint64_t tmp_bytes = 512ull << 20;  // size of /tmp and /dev/shm (each)
  uint32_t open_files = 4096;         // RLIMIT_NOFILE
};

// Who the sandbox is. Started by host root, inside ids [0, count) map to host ids
// [host_base, host_base + count) and commands run as `user` inside, i.e. host uid
// host_base + user; host_base is never 0, so nothing in a sandbox ever acts as host root.
// Started by anyone else (rootless), only `user` is mapped, onto the supervisor's own ids.
// Checkouts a sandbox writes must be owned by sandbox_user_on_host() (id_map.hpp).
struct Identity {
  uint32_t host_base = 1'000'000;
  uint32_t count = 65536;
  uint32_t user = 1000;
  std::string user_name = "cove";
  std::string home = "/tmp";
};

struct SandboxSpec {
  std::string name;  // used for the cgroup name; generated when empty
  std::string hostname = "cove";
  std::vector<Bind> binds;
  Limits limits;
  Identity identity;
};

// A command to run inside an existing sandbox.
struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is searched in the PATH of `env` unless it has a '/'
  std::vector<std::string> env;   // the whole environment, "K=V" (nothing is inherited)
  std::string cwd = "/";
  // stdio for the command; -1 means /dev/null. The fds are duplicated, the caller keeps them.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::chrono::milliseconds timeout{0};  // 0 = none; on expiry the process group is killed
  bool controlling_tty = false;          // stdin is a terminal that becomes the controlling tty
  bool keep_group = false;               // leave the rest of the process group running after exit
  // A program to run instead of searching argv[0]: an fd of an executable (e.g. a sealed
  // memfd of a program cove carries), executed with execveat(AT_EMPTY_PATH); argv[0] is then
  // only its name. -1 = none. Duplicated like the stdio fds.
  int exec_fd = -1;
};

struct ExitStatus {
  int code = -1;   // exit code when it exited normally, else -1
  int signal = 0;  // the signal that killed it, else 0
  bool timed_out = false;

  // The shell convention: the exit code, or 128 + signal.
  int shell_code() const { return signal ? 128 + signal : code; }
};

}  // namespace cove::sandbox
