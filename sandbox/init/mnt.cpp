// The mount namespace: a tmpfs root assembled from the plan, then pivot_root into it.
//
// Every bind source is captured as a detached mount (open_tree) before anything is mounted,
// and every target is resolved beneath the new root without following symlinks (openat2),
// so neither a symlink in a bound tree nor a later path swap can redirect a mount.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/unique_fd.hpp"
#include "sandbox/init/init.hpp"
#include "sandbox/mount_attrs.hpp"

namespace cove::sandbox::init {
namespace {

using wire::MountKind;
using wire::MountOp;

// `path` without its leading '/', for *at() calls relative to the new root.
std::string relative(const std::string& path) {
  size_t start = path.find_first_not_of('/');
  return start == std::string::npos ? std::string() : path.substr(start);
}

UniqueFd open_beneath(int dir, const std::string& rel, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how)));
}

// Creates the missing directories of `path` below `root`; returns an O_PATH fd of the last.
UniqueFd make_dirs(int root, const std::string& path, mode_t mode) {
  UniqueFd dir(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  std::string rel = relative(path);
  size_t start = 0;
  while (start < rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string name = rel.substr(start, end - start);
    if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST)
      fail("mount: mkdir " + path, errno);
    dir = open_beneath(dir.get(), name, O_PATH | O_DIRECTORY);
    if (!dir) fail("mount: open " + path + " (symlinks are not followed)", errno);
    start = end + 1;
  }
  return dir;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// An O_PATH fd of the file `path`, created empty when missing.
UniqueFd make_file(int root, const std::string& path) {
  UniqueFd parent = make_dirs(root, parent_of(path), 0755);
  std::string name = base_name(path);
  UniqueFd f = open_beneath(parent.get(), name, O_PATH);
  if (f) return f;
  UniqueFd created(::openat(parent.get(), name.c_str(),
                            O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!created) fail("mount: create mount point " + path, errno);
  f = open_beneath(parent.get(), name, O_PATH);
  if (!f) fail("mount: open " + path, errno);
  return f;
}

// A new, detached filesystem mount of `type` with "k=v,flag" options.
UniqueFd new_filesystem(const char* type, const std::string& options, uint64_t attrs) {
  UniqueFd fs(::fsopen(type, FSOPEN_CLOEXEC));
  if (!fs) fail(std::string("mount: fsopen ") + type, errno);
  size_t start = 0;
  while (start < options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string::npos) end = options.size();
    std::string opt = options.substr(start, end - start);
    size_t eq = opt.find('=');
    int rc = eq == std::string::npos
                 ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
                 : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(),
                              opt.substr(eq + 1).c_str(), 0);
    if (rc != 0) fail(std::string("mount: ") + type + " option " + opt, errno);
    start = end + 1;
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    fail(std::string("mount: create ") + type, errno);
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs)));
  if (!mnt) fail(std::string("mount: fsmount ") + type, errno);
  return mnt;
}

void attach(int mnt, int target, const std::string& what) {
  if (::move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    fail("mount: attach " + what, errno);
}

const char* fs_type(MountKind kind) {
  switch (kind) {
    case MountKind::kTmpfs:
      return "tmpfs";
    case MountKind::kProc:
      return "proc";
    case MountKind::kDevpts:
      return "devpts";
    default:
      return "";
  }
}

void apply(int root, const MountOp& op, UniqueFd& source) {
  switch (op.kind) {
    case MountKind::kDir:
      make_dirs(root, op.target, op.mode);
      return;
    case MountKind::kSymlink: {
      UniqueFd parent = make_dirs(root, parent_of(op.target), 0755);
      if (::symlinkat(op.data.c_str(), parent.get(), base_name(op.target).c_str()) != 0)
        fail("mount: symlink " + op.target, errno);
      return;
    }
    case MountKind::kFile: {
      UniqueFd parent = make_dirs(root, parent_of(op.target), 0755);
      UniqueFd f(::openat(parent.get(), base_name(op.target).c_str(),
                          O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, op.mode));
      if (!f ||
          ::write(f.get(), op.data.data(), op.data.size()) != static_cast<ssize_t>(op.data.size()))
        fail("mount: write " + op.target, errno);
      return;
    }
    case MountKind::kTmpfs:
    case MountKind::kProc:
    case MountKind::kDevpts: {
      UniqueFd dir = make_dirs(root, op.target, 0755);
      UniqueFd mnt = new_filesystem(fs_type(op.kind), op.data, mount_attrs(op.flags));
      attach(mnt.get(), dir.get(), op.target);
      return;
    }
    case MountKind::kBind: {
      // Host sources arrive captured, with their flags set, from the supervisor; a source
      // inside the new root is cloned here.
      if (op.flags & wire::kSourceInRoot) {
        source.reset(
            ::open_tree(root, relative(op.source).c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
        if (!source) fail("mount: bind " + op.source, errno);
        mount_attr attr{};
        attr.attr_set = mount_attrs(op.flags);
        if (::mount_setattr(source.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) !=
            0)
          fail("mount: set flags of bind " + op.source, errno);
      }
      struct stat st;
      if (::fstat(source.get(), &st) != 0) fail("mount: stat " + op.source, errno);
      UniqueFd target =
          S_ISDIR(st.st_mode) ? make_dirs(root, op.target, 0755) : make_file(root, op.target);
      attach(source.get(), target.get(), op.source + " at " + op.target);
      return;
    }
  }
  fail("mount: unknown operation for " + op.target);
}

}  // namespace

std::vector<int> capture_host_sources(const std::vector<MountOp>& plan) {
  std::vector<int> sources;
  for (const auto& op : plan) {
    if (!binds_host_path(op)) continue;
    const char* failed = "";
    UniqueFd fd = capture_bind_source(op, failed);
    if (!fd) fail(std::string("mount: ") + failed + op.source, errno);
    sources.push_back(fd.release());
  }
  return sources;
}

void build_root(const std::vector<MountOp>& plan, std::vector<int> host_sources) {
  ::umask(0);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail("mount: make / private", errno);
  // The supervisor captured every host source (it can reach paths such as a 0700 home that
  // init, an unprivileged user on the host, cannot); one fd per host bind, in plan order.
  std::vector<UniqueFd> sources(plan.size());
  size_t next = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!binds_host_path(plan[i])) continue;
    if (next == host_sources.size()) fail("mount: a bind source is missing from the setup");
    sources[i].reset(host_sources[next++]);
  }
  if (next != host_sources.size()) fail("mount: the setup carries extra bind sources");
  // The new root: a small tmpfs, attached over /tmp of this (private) mount namespace.
  UniqueFd root =
      new_filesystem("tmpfs", "mode=0755,size=1m", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (::move_mount(root.get(), "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) != 0)
    fail("mount: attach new root", errno);
  for (size_t i = 0; i < plan.size(); ++i)
    apply(root.get(), plan[i], sources[i]);

  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
  // only the new tree.
  if (::fchdir(root.get()) != 0) fail("mount: chdir to new root", errno);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) fail("mount: pivot_root", errno);
  if (::umount2(".", MNT_DETACH) != 0) fail("mount: detach old root", errno);
  if (::chdir("/") != 0) fail("mount: chdir /", errno);
  mount_attr ro{};
  ro.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof ro) != 0)
    fail("mount: make root read-only", errno);
}

}  // namespace cove::sandbox::init
