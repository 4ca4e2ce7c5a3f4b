#include "sandbox/sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <string_view>

#include "sandbox/id_map.hpp"
#include "sandbox/mount_attrs.hpp"
#include "sandbox/mount_plan.hpp"
#include "sandbox/namespaces.hpp"
#include "sandbox/protocol.hpp"
#include "sandbox/rlimits.hpp"
#include "sandbox/seccomp_policy.hpp"

namespace cove::sandbox {
namespace {

constexpr size_t kReplyBuffer = 64 * 1024;

const CgroupLayout& cgroup_layout() {
  static const CgroupLayout layout = CgroupLayout::discover();
  return layout;
}

std::string unique_name() {
  static std::atomic<uint64_t> counter{0};
  return "cove-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// init reports failures as "<layer>: <detail>"; keep the layer as the error's step.
SandboxError setup_error(const std::string& message) {
  size_t colon = message.find(':');
  if (colon == std::string::npos) return SandboxError("init", message);
  size_t start = message.find_first_not_of(' ', colon + 1);
  return SandboxError(message.substr(0, colon),
                      message.substr(start == std::string::npos ? colon + 1 : start));
}

bool receive(int sock, std::string& msg) {
  msg.resize(kReplyBuffer);
  ssize_t n;
  do
    n = ::recv(sock, msg.data(), msg.size(), 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  msg.resize(static_cast<size_t>(n));
  return true;
}

// The error init reported in a kSetupFailed message, if `reply` is one.
std::optional<SandboxError> setup_failure(std::string_view reply) {
  wire::Reader r(reply);
  if (r.type() != wire::Type::kSetupFailed) return std::nullopt;
  r.u32();  // id
  r.u32();  // errno
  std::string message = r.str();
  if (!r.ok()) return SandboxError("init", "malformed setup failure report");
  return setup_error(message);
}

// init's setup failure report, when one is waiting on the socket.
std::optional<SandboxError> queued_setup_failure(int sock) {
  char buf[kReplyBuffer];
  ssize_t n = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0) return std::nullopt;
  return setup_failure(std::string_view(buf, static_cast<size_t>(n)));
}

wire::Setup setup_for(const SandboxSpec& spec, const IdMapping& ids) {
  wire::Setup s;
  s.hostname = spec.hostname;
  s.init_uid = ids.init_uid;
  s.init_gid = ids.init_gid;
  s.clear_groups = ids.deny_setgroups ? 0 : 1;
  s.init_captures_sources = ids.privileged ? 0 : 1;
  s.uid = spec.identity.user;
  s.gid = spec.identity.user;
  s.mounts = build_mount_plan(spec, HostView::real());
  s.rlimits = rlimits_for(spec.limits);
  s.seccomp_bpf = seccomp::default_program();
  return s;
}

// Captures every host bind source as a detached mount with its flags set. A privileged
// supervisor does this rather than init: init is an unprivileged user on the host and cannot
// reach sources below directories such as a 0700 home. An unprivileged supervisor cannot
// (cloning a mount needs CAP_SYS_ADMIN over the host's mount namespace); its init, which is
// the same host user, captures them inside its own mount namespace instead.
std::vector<UniqueFd> capture_bind_sources(const wire::Setup& setup, const Identity& id) {
  std::vector<UniqueFd> out;
  if (setup.init_captures_sources) return out;  // rootless: the caller is the sandbox user
  UniqueFd idmap;  // made on first use, shared by every bind owned by the caller
  for (const auto& op : setup.mounts) {
    if (!binds_host_path(op)) continue;
    // Only a source that is the caller's own: one already given to the sandbox user's host
    // uid (docs/sandbox.md, Writable checkouts) stays as it is.
    struct stat st;
    const bool mapped = (op.flags & wire::kOwnedByCaller) && ::stat(op.source.c_str(), &st) == 0 &&
                        st.st_uid == ::geteuid();
    if (mapped && !idmap) idmap = idmap_userns(::geteuid(), ::getegid(), sandbox_user_on_host(id));
    const char* failed = "";
    UniqueFd fd = capture_bind_source(op, failed, mapped ? idmap.get() : -1);
    if (!fd && mapped && errno == EINVAL)
      throw SandboxError("mount", "bind " + op.source +
                                      ": its filesystem cannot be id-mapped (Linux 5.12+ with "
                                      "ext4, xfs or btrfs; tmpfs from 6.3), so the caller's "
                                      "files cannot be the sandbox user's: chown it to uid " +
                                      std::to_string(sandbox_user_on_host(id).uid) + " instead");
    if (!fd) throw_errno("mount", failed + op.source, errno);
    out.push_back(std::move(fd));
  }
  return out;
}

// The control channel between the supervisor and init: a SEQPACKET socket pair whose send
// buffers hold the largest setup message.
std::pair<UniqueFd, UniqueFd> control_channel() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    throw_errno("init", "socketpair", errno);
  std::pair<UniqueFd, UniqueFd> ends{UniqueFd(pair[0]), UniqueFd(pair[1])};
  int buf = static_cast<int>(wire::kMaxMessage) * 2;
  for (int fd : pair)
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  return ends;
}

// Init's answer once its root is built: ready, or the reason it failed.
void await_ready(int control) {
  std::string reply;
  if (!receive(control, reply)) throw SandboxError("init", "the sandbox init exited during setup");
  if (wire::Reader(reply).type() == wire::Type::kReady) return;
  if (auto failure = setup_failure(reply)) throw *failure;
  throw SandboxError("init", "unexpected reply during setup");
}

}  // namespace

std::unique_ptr<Sandbox> Sandbox::start(const SandboxSpec& requested) {
  std::unique_ptr<Sandbox> sb(new Sandbox(requested));
  SandboxSpec& spec = sb->spec_;
  if (spec.name.empty()) spec.name = unique_name();

  // The containment, in order. Everything that can be decided without a process is decided
  // first, so a bad spec fails before any namespace exists. While init builds its root
  // (mounts, hostname, loopback) from inside, the supervisor creates and joins its cgroups:
  // moving a task between cgroups can wait for an RCU grace period, and this hides it.
  IdMapping ids = plan_id_mapping(spec.identity, ::geteuid(), ::getegid());  // who it is
  wire::Setup plan = setup_for(spec, ids);  // root fs, rlimits, seccomp
  const std::string setup = wire::encode(plan);
  std::vector<UniqueFd> sources = capture_bind_sources(plan, spec.identity);
  auto [ours, theirs] = control_channel();
  sb->control_ = std::move(ours);
  sb->init_pid_ = start_init(theirs.get());  // user, mount, pid, net, ipc, uts ns
  theirs.reset();
  write_id_mapping(sb->init_pid_, ids);  // never host uid 0
  std::vector<int> source_fds;
  for (const auto& fd : sources)
    source_fds.push_back(fd.get());
  sb->send(setup, source_fds.data(), source_fds.size());  // init builds the rest inside
  sources.clear();
  try {
    if (auto why = unenforced_limits(cgroup_layout())) {
      sb->limits_warning_ = *why;  // rootless without a delegated cgroup: said, not hidden
    } else {
      sb->cgroup_.emplace(Cgroup::create(cgroup_layout(), spec.name, spec.limits));  // limits
      sb->cgroup_->attach(sb->init_pid_);  // before init enters its cgroup namespace
    }
    sb->send(wire::Writer(wire::Type::kCgroupsJoined).bytes(), nullptr, 0);
  } catch (const SandboxError&) {
    // If init failed meanwhile, its own report is the better reason (and explains why
    // talking to it failed).
    if (auto failure = queued_setup_failure(sb->control_.get())) throw *failure;
    throw;
  }
  await_ready(sb->control_.get());
  return sb;
}

Sandbox::~Sandbox() {
  control_.reset();
  if (init_pid_ > 0) {
    // init is pid 1 of the sandbox: when it dies, the kernel kills everything inside.
    ::kill(init_pid_, SIGKILL);
    while (::waitpid(init_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void Sandbox::send(const std::string& msg, const int* fds, size_t nfds) {
  iovec iov{const_cast<char*>(msg.data()), msg.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * wire::kMaxFds)];
  if (nfds > wire::kMaxFds)
    throw SandboxError("sandbox", "more than " + std::to_string(wire::kMaxFds) +
                                      " descriptors in one message (too many binds?)");
  if (nfds > 0) {
    mh.msg_control = control;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do
    n = ::sendmsg(control_.get(), &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EMSGSIZE) throw SpawnError("arguments and environment are too large", E2BIG);
    throw_errno("sandbox", "send to init", errno);
  }
}

template <class Done>
void Sandbox::await(std::unique_lock<std::mutex>& lock, Done done) {
  while (!done() && !dead_) {
    if (reading_) {
      cv_.wait(lock);
      continue;
    }
    reading_ = true;
    lock.unlock();
    std::string msg;
    bool ok = receive(control_.get(), msg);
    lock.lock();
    reading_ = false;
    if (ok)
      dispatch(msg);
    else
      dead_ = true;
    cv_.notify_all();
  }
}

void Sandbox::dispatch(const std::string& msg) {
  wire::Reader r(msg);
  switch (r.type()) {
    case wire::Type::kSpawned: {
      uint32_t id = r.u32();
      pid_t pid = static_cast<pid_t>(r.u32());
      if (auto it = pending_.find(id); r.ok() && it != pending_.end()) {
        it->second.spawned = true;
        it->second.pid = pid;
      }
      return;
    }
    case wire::Type::kSpawnFailed: {
      uint32_t id = r.u32();
      int err = static_cast<int>(r.u32());
      std::string text = r.str();
      if (auto it = pending_.find(id); r.ok() && it != pending_.end()) {
        it->second.error = err;
        it->second.failure = text.empty() ? "spawn failed" : text;
      }
      return;
    }
    case wire::Type::kExited: {
      wire::Exited e;
      if (!wire::decode(r, e)) return;
      if (auto it = pending_.find(e.id); it != pending_.end()) {
        it->second.exited = true;
        it->second.status = ExitStatus{e.code, e.signal, e.timed_out != 0};
      }
      return;
    }
    default:
      return;
  }
}

Sandbox::Command Sandbox::spawn(const SpawnRequest& req) {
  if (req.argv.empty()) throw SpawnError("empty command", EINVAL);
  wire::Spawn msg;
  msg.timeout_ms = static_cast<uint64_t>(req.timeout.count());
  msg.cwd = req.cwd.empty() ? "/" : req.cwd;
  msg.argv = req.argv;
  msg.env = req.env;
  int fds[4];
  size_t nfds = 0;
  for (int i = 0; i < 3; ++i) {
    int fd = i == 0 ? req.stdin_fd : i == 1 ? req.stdout_fd : req.stderr_fd;
    if (fd < 0) continue;
    msg.flags |= wire::kStdinFd << i;
    fds[nfds++] = fd;
  }
  if (req.exec_fd >= 0) {
    msg.flags |= wire::kExecFd;
    fds[nfds++] = req.exec_fd;
  }
  if (req.controlling_tty) msg.flags |= wire::kControllingTty;
  if (req.keep_group) msg.flags |= wire::kKeepGroupOnExit;

  std::unique_lock lock(mu_);
  if (dead_) throw SandboxError("sandbox", "the sandbox init is gone");
  msg.id = next_id_++;
  Pending& p = pending_[msg.id];
  try {
    send(wire::encode(msg), fds, nfds);
  } catch (...) {
    pending_.erase(msg.id);
    throw;
  }
  await(lock, [&] { return p.spawned || !p.failure.empty(); });
  if (p.spawned) return Command{msg.id, p.pid};
  std::string failure = p.failure;
  int error = p.error;
  pending_.erase(msg.id);
  if (failure.empty()) throw SandboxError("sandbox", "the sandbox init is gone");
  throw SpawnError(failure, error);
}

ExitStatus Sandbox::wait(const Command& cmd) {
  std::unique_lock lock(mu_);
  auto it = pending_.find(cmd.id);
  if (it == pending_.end()) throw SandboxError("sandbox", "unknown or already waited-for command");
  Pending& p = it->second;
  await(lock, [&] { return p.exited; });
  if (!p.exited) {
    pending_.erase(it);
    throw SandboxError("sandbox", "the sandbox init is gone");
  }
  ExitStatus status = p.status;
  pending_.erase(it);
  return status;
}

void Sandbox::signal(const Command& cmd, int sig) {
  wire::Writer w(wire::Type::kSignal);
  w.u32(cmd.id).u32(static_cast<uint32_t>(sig));
  std::lock_guard lock(mu_);
  if (!dead_) send(w.bytes(), nullptr, 0);
}

bool remove_leftover_cgroups(const std::string& name) {
  try {
    return Cgroup::remove_stale(cgroup_layout(), name);
  } catch (const std::exception&) {
    return false;  // no cgroups here: nothing was made
  }
}

}  // namespace cove::sandbox
