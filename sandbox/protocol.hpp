// Wire format between cove (the supervisor) and a sandbox's init process.
//
// Messages travel over a SOCK_SEQPACKET socketpair, one message per packet, file
// descriptors attached with SCM_RIGHTS. Both ends are cove's own code, built from this
// header; the format carries no version because they are always the same build.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cove::sandbox::wire {

inline constexpr size_t kMaxMessage = 1 << 20;  // argv + env of one spawn must fit
inline constexpr size_t kMaxFds = 64;           // descriptors one message may carry
inline constexpr int kControlFd = 3;            // init finds its control socket here

enum class Type : uint32_t {
  // supervisor -> init
  kSetup = 1,
  kSpawn = 2,
  kSignal = 3,
  kCgroupsJoined = 4,  // init now sits in its cgroups: it may enter its cgroup namespace
  // init -> supervisor
  kReady = 100,
  kSetupFailed = 101,
  kSpawned = 102,
  kSpawnFailed = 103,
  kExited = 104,
};

enum class MountKind : uint32_t {
  kBind = 1,   // source (host path, or path in the new root) -> target
  kTmpfs = 2,  // data = tmpfs options
  kProc = 3,
  kDevpts = 4,   // data = devpts options
  kSymlink = 5,  // target -> data
  kDir = 6,      // mkdir -p target, mode
  kFile = 7,     // write data to target, mode
};

// Mount attribute bits applied to binds and filesystems (kept independent of kernel headers).
enum MountFlag : uint32_t {
  kReadOnly = 1u << 0,
  kNoSuid = 1u << 1,
  kNoDev = 1u << 2,
  kNoExec = 1u << 3,
  kSourceInRoot = 1u << 4,   // kBind: source is a path inside the new root, not on the host
  kOwnedByCaller = 1u << 5,  // kBind: id-mapped so the supervisor's files are the sandbox user's
};

struct MountOp {
  MountKind kind{};
  uint32_t flags = 0;
  uint32_t mode = 0;
  std::string source;
  std::string target;
  std::string data;
  bool operator==(const MountOp&) const = default;
};

struct Rlimit {
  uint32_t resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct Setup {
  std::string hostname;
  uint32_t init_uid = 0;  // init's own ids inside: 0 when the supervisor is root
  uint32_t init_gid = 0;
  uint32_t clear_groups = 1;  // setgroups() is allowed in the namespace: drop host groups
  // Init captures the host bind sources itself (an unprivileged supervisor may not clone
  // mounts of the host's mount namespace); otherwise they arrive with this message.
  uint32_t init_captures_sources = 0;
  uint32_t uid = 0;  // the sandbox user commands run as (inside ids)
  uint32_t gid = 0;
  std::vector<MountOp> mounts;
  std::vector<Rlimit> rlimits;
  std::string seccomp_bpf;  // struct sock_filter[], exported by libseccomp
};

enum SpawnFlag : uint32_t {
  kStdinFd = 1u << 0,  // which of stdin/stdout/stderr arrive as SCM_RIGHTS (in that order)
  kStdoutFd = 1u << 1,
  kStderrFd = 1u << 2,
  kControllingTty = 1u << 3,   // make stdin the command's controlling terminal
  kKeepGroupOnExit = 1u << 4,  // do not kill the rest of the process group on exit
  kExecFd = 1u << 5,           // the program arrives as an fd (after the stdio fds) to execveat
};

struct Spawn {
  uint32_t id = 0;
  uint32_t flags = 0;
  uint64_t timeout_ms = 0;  // 0 = none
  std::string cwd;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

struct Exited {
  uint32_t id = 0;
  int32_t code = -1;   // exit code, or -1 when killed by a signal
  int32_t signal = 0;  // terminating signal, 0 when it exited
  uint32_t timed_out = 0;
};

// Appends fixed-width integers and length-prefixed strings.
class Writer {
 public:
  explicit Writer(Type t) { u32(static_cast<uint32_t>(t)); }
  Writer& u32(uint32_t v) { return raw(&v, sizeof v); }
  Writer& u64(uint64_t v) { return raw(&v, sizeof v); }
  Writer& str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    buf_.append(s);
    return *this;
  }
  Writer& strs(const std::vector<std::string>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v)
      str(s);
    return *this;
  }
  const std::string& bytes() const { return buf_; }

 private:
  Writer& raw(const void* p, size_t n) {
    buf_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string buf_;
};

// Bounds-checked reader over bytes the caller keeps alive; any overrun sets ok() to false
// and yields zero values.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  Type type() { return static_cast<Type>(u32()); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  std::string str() {
    uint32_t n = u32();
    if (!ok_ || n > b_.size() - pos_) return fail<std::string>();
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> strs() {
    uint32_t n = u32();
    std::vector<std::string> v;
    if (!ok_ || n > b_.size() - pos_) return fail<std::vector<std::string>>();
    v.reserve(n);
    for (uint32_t i = 0; i < n && ok_; ++i)
      v.push_back(str());
    return v;
  }
  bool ok() const { return ok_; }

 private:
  template <class T>
  T fixed() {
    if (!ok_ || sizeof(T) > b_.size() - pos_) return fail<T>();
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  template <class T>
  T fail() {
    ok_ = false;
    return T{};
  }
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

inline std::string encode(const Setup& s) {
  Writer w(Type::kSetup);
  w.str(s.hostname).u32(s.init_uid).u32(s.init_gid).u32(s.clear_groups);
  w.u32(s.init_captures_sources);
  w.u32(s.uid).u32(s.gid).u32(static_cast<uint32_t>(s.mounts.size()));
  for (const auto& m : s.mounts)
    w.u32(static_cast<uint32_t>(m.kind))
        .u32(m.flags)
        .u32(m.mode)
        .str(m.source)
        .str(m.target)
        .str(m.data);
  w.u32(static_cast<uint32_t>(s.rlimits.size()));
  for (const auto& r : s.rlimits)
    w.u32(r.resource).u64(r.soft).u64(r.hard);
  w.str(s.seccomp_bpf);
  return w.bytes();
}

// Decodes the body after the type word.
inline bool decode(Reader& r, Setup& s) {
  s.hostname = r.str();
  s.init_uid = r.u32();
  s.init_gid = r.u32();
  s.clear_groups = r.u32();
  s.init_captures_sources = r.u32();
  s.uid = r.u32();
  s.gid = r.u32();
  uint32_t n = r.u32();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    MountOp m;
    m.kind = static_cast<MountKind>(r.u32());
    m.flags = r.u32();
    m.mode = r.u32();
    m.source = r.str();
    m.target = r.str();
    m.data = r.str();
    s.mounts.push_back(std::move(m));
  }
  n = r.u32();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Rlimit l;
    l.resource = r.u32();
    l.soft = r.u64();
    l.hard = r.u64();
    s.rlimits.push_back(l);
  }
  s.seccomp_bpf = r.str();
  return r.ok();
}

inline std::string encode(const Spawn& s) {
  Writer w(Type::kSpawn);
  w.u32(s.id).u32(s.flags).u64(s.timeout_ms).str(s.cwd).strs(s.argv).strs(s.env);
  return w.bytes();
}

inline bool decode(Reader& r, Spawn& s) {
  s.id = r.u32();
  s.flags = r.u32();
  s.timeout_ms = r.u64();
  s.cwd = r.str();
  s.argv = r.strs();
  s.env = r.strs();
  return r.ok() && !s.argv.empty();
}

inline std::string encode(const Exited& e) {
  Writer w(Type::kExited);
  w.u32(e.id)
      .u32(static_cast<uint32_t>(e.code))
      .u32(static_cast<uint32_t>(e.signal))
      .u32(e.timed_out);
  return w.bytes();
}

inline bool decode(Reader& r, Exited& e) {
  e.id = r.u32();
  e.code = static_cast<int32_t>(r.u32());
  e.signal = static_cast<int32_t>(r.u32());
  e.timed_out = r.u32();
  return r.ok();
}

}  // namespace cove::sandbox::wire
