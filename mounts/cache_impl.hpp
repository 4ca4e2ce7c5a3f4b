// RepoCache's internals, shared by its source files (mirror, prepared tree, session
// checkout, maintenance). Not part of the layer's interface.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mounts/git_support.hpp"
#include "mounts/handles.hpp"
#include "mounts/repo_cache.hpp"

namespace cove::mounts {

namespace fs = std::filesystem;

std::int64_t now_ms();
std::string random_hex(int bytes);
// Writes a small file atomically (temporary file + rename).
void write_file_atomic(const fs::path& path, const std::string& content);
std::optional<std::string> read_file(const fs::path& path);
// Sum of the sizes of the regular files below dir.
std::uint64_t disk_usage(const fs::path& dir);
// lchown of dir and everything below it.
void chown_all(const fs::path& dir, Owner owner);
// Sets a file's mtime to now: last use of mirrors and prepared trees is the mtime of
// their meta file, so that marking a use costs one syscall.
void touch(const fs::path& path);
// True when path is a mount point (another device than its parent).
bool is_mount_point(const fs::path& path);
// Mounts an overlay of upper over lower at target. False when overlayfs cannot be used here
// at all (no privilege, not in the kernel); throws std::system_error on other failures.
bool mount_overlay(const fs::path& lower, const fs::path& upper, const fs::path& work,
                   const fs::path& target);
// Renames path into trash/ and deletes it there, so a half-deleted tree is never seen.
void remove_via_trash(const fs::path& path, const fs::path& trash);

// The mirror lacks objects its refs need: re-clone it.
struct MirrorDamaged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MirrorMeta {
  std::string url;
  std::string default_branch;  // e.g. "main"
  std::int64_t last_fetch_ms = 0;
  std::int64_t last_used_ms = 0;  // mtime of meta.json
  bool auth_required = false;     // the server asked for credentials: check every session
};

struct TreeMeta {
  std::string commit;
  std::string branch;
  Owner owner;
  std::int64_t built_ms = 0;
  std::int64_t last_used_ms = 0;  // mtime of the meta file
};

struct Lease {
  std::string session_id;
  std::string key;
  std::string tree;  // prepared tree directory name
  std::string url;
  fs::path host_dir;
  bool copy = false;
  bool kept = false;  // unmounted by detach(): the session lives on and will reattach
};

// Points HEAD of the checkout at workdir to the branch (created at mirror.commit, tracking
// origin/<branch>) or detaches it; with move_tree, first checks out mirror.commit over the
// files (cost proportional to the files that differ).
void set_checkout_head(const fs::path& workdir, const MirrorInfo& mirror, const std::string& branch,
                       bool move_tree);

// Writes a complete checkout of mirror.commit into the empty or missing directory dir:
// objects borrowed through alternates, HEAD on branch (detached if empty), owned by owner,
// index settled so that the first `git status` only compares stat data. Throws
// MirrorDamaged or RepoError.
void write_checkout(const MirrorInfo& mirror, const std::string& branch, Owner owner,
                    const fs::path& dir);

struct RepoCache::Impl {
  explicit Impl(RepoCacheOptions options);

  RepoCacheOptions options;
  fs::path locks, mirrors, trees, sessions, tmp, trash;

  // Background prepared-tree builds; finished ones are joined when the next one starts.
  struct BackgroundBuild {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex background_mutex;
  std::vector<BackgroundBuild> background;

  fs::path mirror_repo(const std::string& key) const { return mirrors / key / "repo.git"; }
  fs::path mirror_meta_path(const std::string& key) const { return mirrors / key / "meta.json"; }
  fs::path mirror_lock(const std::string& key) const { return locks / key; }
  fs::path tree_lock(const std::string& key) const { return locks / (key + ".trees"); }
  fs::path tree_dir(const std::string& key, const std::string& commit, Owner owner) const;

  std::optional<MirrorMeta> read_mirror_meta(const std::string& key) const;
  void write_mirror_meta(const std::string& key, const MirrorMeta& meta) const;
  std::optional<TreeMeta> read_tree_meta(const fs::path& tree) const;
  void write_tree_meta(const fs::path& tree, const TreeMeta& meta) const;
  // Leases of live checkouts: a full copy, an overlay still mounted, or one detach() kept
  // for its session. A lease whose overlay is gone otherwise (the machine rebooted, the
  // runtime crashed and someone unmounted it) pins nothing.
  std::vector<Lease> read_leases() const;

  // mirror.cpp
  MirrorInfo fetch(const RepoSpec& spec);
  // Re-clones a damaged mirror (exclusive lock held inside).
  void repair_mirror(const RepoSpec& spec);

  // prepared_tree.cpp: builds trees/<key>/<commit>-<uid>-<gid> unless it exists.
  // *built tells whether this call built it (false: it existed or another builder won).
  fs::path build_tree(const MirrorInfo& mirror, const std::string& branch, Owner owner,
                      bool* built = nullptr);
  // The most suitable existing tree to move forward to commit, if any is close enough.
  std::optional<fs::path> nearest_tree(const MirrorInfo& mirror, const std::string& branch,
                                       Owner owner);
  void build_tree_in_background(const MirrorInfo& mirror, const std::string& branch, Owner owner);

  // session_checkout.cpp
  fs::path choose_lower(const MirrorInfo& mirror, const std::string& branch, Owner owner,
                        SessionCheckout& out);
  // The fetched mirror a checkout is made from, pinned (shared lock) against eviction and
  // re-clones, and the prepared tree under its overlay (empty without overlays).
  struct PinnedMirror {
    MirrorInfo mirror;
    std::optional<FileLock> pin;
    std::string branch;
    fs::path lower;
  };
  PinnedMirror pin_mirror(const CheckoutRequest& request, SessionCheckout& out);
  // Makes out.host_dir the checkout (an overlay on the pinned tree, or a full copy) and
  // writes the session's lease; on failure removes what it made and throws RepoError.
  void make_session_view(const CheckoutRequest& request, const PinnedMirror& pinned,
                         bool head_ready, SessionCheckout& out);
  SessionCheckout checkout(const CheckoutRequest& request);
  void release(const std::string& session_id);

  // kept_checkout.cpp
  void detach(const std::string& session_id);
  std::optional<SessionCheckout> reattach(const std::string& session_id,
                                          const std::string& mount_path);
};

// The lease of a session checkout, or nullopt when it has none (or it is unreadable).
std::optional<Lease> read_lease(const fs::path& layer_dir);

}  // namespace cove::mounts
