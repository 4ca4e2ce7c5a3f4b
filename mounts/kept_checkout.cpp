// Session checkouts that outlive their mount: a session's sandbox is torn down (idle, or the
// daemon stops) while the session lives on, and its layer waits to be mounted again.
#include <sys/mount.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/file_lock.hpp"
#include "mounts/cache_impl.hpp"

namespace cove::mounts {

namespace {

void write_lease(const fs::path& layer_dir, const Lease& l) {
  nlohmann::json j{{"session_id", l.session_id},
                   {"key", l.key},
                   {"tree", l.tree},
                   {"url", l.url},
                   {"host_dir", l.host_dir.string()}};
  if (l.copy) j["copy"] = true;
  if (l.kept) j["kept"] = true;
  write_file_atomic(layer_dir / "lease.json", j.dump(2) + "\n");
}

void unmount(const fs::path& dir) {
  if (::umount2(dir.c_str(), 0) != 0 && errno == EBUSY) ::umount2(dir.c_str(), MNT_DETACH);
}

}  // namespace

void RepoCache::Impl::detach(const std::string& session_id) {
  auto layer_dir = sessions / session_id;
  auto lease = read_lease(layer_dir);
  if (!lease || lease->copy) return;  // a full copy has nothing mounted
  // Kept first: between the two steps the layer must not look unpinned to gc.
  if (!lease->kept) {
    lease->kept = true;
    write_lease(layer_dir, *lease);
  }
  while (is_mount_point(lease->host_dir))
    unmount(lease->host_dir);
}

std::optional<SessionCheckout> RepoCache::Impl::reattach(const std::string& session_id,
                                                         const std::string& mount_path) {
  auto layer_dir = sessions / session_id;
  if (!fs::exists(layer_dir)) return std::nullopt;
  auto lease = read_lease(layer_dir);
  if (!lease) throw RepoError(RepoErrorKind::checkout, "", "the checkout's lease is unreadable");
  auto fail = [&](const std::string& why) {
    return RepoError(RepoErrorKind::checkout, lease->url, why);
  };
  // Shared: gc cannot evict the mirror or its trees while the overlay goes up again.
  FileLock pin(mirror_lock(lease->key), FileLock::Mode::shared);
  auto repo = mirror_repo(lease->key);
  if (!fs::exists(repo)) throw fail("its repository mirror is gone from the cache");
  if (!lease->copy && !is_mount_point(lease->host_dir)) {
    auto lower = trees / lease->key / lease->tree;
    if (!fs::exists(lower)) throw fail("the prepared tree under its layer is gone from the cache");
    if (!fs::exists(layer_dir / "upper")) throw fail("its layer is gone");
    fs::create_directories(layer_dir / "work");
    fs::create_directories(lease->host_dir);
    try {
      if (!mount_overlay(lower, layer_dir / "upper", layer_dir / "work", lease->host_dir))
        throw fail("the kernel refused the overlay mount");
    } catch (const std::system_error& e) {
      throw fail(e.what());
    }
  }
  if (lease->kept) {
    lease->kept = false;
    write_lease(layer_dir, *lease);
  }
  SessionCheckout out;
  out.session_id = session_id;
  out.url = lease->url;
  out.host_dir = lease->host_dir;
  out.layer_dir = layer_dir;
  out.copied = lease->copy;
  out.plan.entries.push_back(MountEntry{out.host_dir, mount_path, false});
  auto objects = repo / "objects";
  out.plan.entries.push_back(MountEntry{objects, objects.string(), true});
  return out;
}

}  // namespace cove::mounts
