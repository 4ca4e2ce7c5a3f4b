// RepoCache: one bare mirror per repository URL, prepared trees per (repository, commit,
// owner), and per-session copy-on-write checkouts over them.
//
// Layout under root (normally $COVE_HOME/repos):
//   locks/<key>            flock: exclusive to create/fetch/evict the mirror, shared while
//                          a session checkout is being made from it
//   locks/<key>.trees      flock: exclusive while a prepared tree of <key> is being built
//   mirrors/<key>/repo.git bare mirror (refs/heads/*, refs/tags/*), meta.json beside it
//   trees/<key>/<commit>-<uid>-<gid>/  prepared checkout, objects borrowed from the mirror
//                          through alternates; <name>.json beside it (branch, last use)
//   sessions/<id>/{upper,work,merged}  a session's overlay layers; lease.json (kept: the
//                          layer outlives its mount, see detach())
//   tmp/, trash/           work in progress and things being deleted
//
// Thread safety: every method may be called concurrently from several threads and several
// processes on the same root. Operations block (network, disk); call them off I/O threads.
// Tokens are used only in memory, through libgit2's credential callback.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mounts/mount_plan.hpp"
#include "mounts/repo_error.hpp"

namespace cove::mounts {

// When to contact the remote for a repository that is already cached. A fetch happens
// anyway when the requested branch or commit is missing from the mirror.
enum class UpdatePolicy { always, if_stale, never };

struct RepoSpec {
  std::string url;
  std::string branch;  // empty: the remote's default branch (unless commit is set)
  std::string commit;  // full or abbreviated sha; wins over branch for the checked-out tree
  std::string token;   // empty: anonymous. Sent as HTTP Basic x-access-token:<token>
  UpdatePolicy update = UpdatePolicy::if_stale;
};

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct FetchProgress {
  std::string url;
  unsigned received_objects = 0;
  unsigned total_objects = 0;
  unsigned indexed_deltas = 0;
  unsigned total_deltas = 0;
  std::uint64_t received_bytes = 0;
};

struct RepoCacheOptions {
  std::filesystem::path root;
  std::chrono::seconds fetch_ttl{60};  // UpdatePolicy::if_stale
  // A network read or write that makes no progress for this long fails the operation
  // (libgit2 1.5.1 has no socket timeouts; cove's socket stream adds them).
  std::chrono::seconds network_timeout{60};
  // Diffs larger than this many files are not applied in a session layer: a prepared tree
  // for the wanted commit is built instead.
  std::size_t max_layer_update_files = 5000;
  // Copy-on-write overlay checkouts. When false, or when the kernel refuses the overlay
  // mount (no privilege, no overlayfs), each session gets its own full checkout instead,
  // whose cost grows with the number of files.
  bool overlay = true;
  std::function<void(const FetchProgress&)> progress;  // called from the calling thread
};

// The state of a mirror after fetch().
struct MirrorInfo {
  std::string url;  // clean URL (no credentials)
  std::string key;
  std::filesystem::path path;  // bare repository
  std::string default_branch;
  std::string commit;    // what the spec resolves to
  bool fetched = false;  // this call talked to the remote and downloaded
  bool cloned = false;   // this call created (or re-created) the mirror
};

struct CheckoutRequest {
  std::string session_id;  // [A-Za-z0-9._-]+, unique among live checkouts
  RepoSpec repo;
  std::string mount_path;  // target inside the sandbox, e.g. /workspace/repo
  Owner owner;             // host uid/gid that owns the checkout (the sandbox user)
  // Where to mount the view on the host; default sessions/<id>/merged.
  std::filesystem::path host_dir;
};

struct SessionCheckout {
  std::string session_id;
  std::string url;
  std::string commit;
  std::string branch;  // empty when detached
  std::filesystem::path host_dir;
  std::filesystem::path layer_dir;
  MountPlan plan;
  bool built_prepared_tree = false;  // no prepared tree existed: this call built one
  bool updated_in_layer = false;     // a nearby prepared tree was mounted and moved forward
  bool copied = false;               // a full checkout, not an overlay (see overlay option)
};

struct CachedRepo {
  std::string url;
  std::string key;
  std::uint64_t bytes = 0;  // mirror plus prepared trees
  std::chrono::system_clock::time_point last_used;
  std::chrono::system_clock::time_point last_fetch;
  std::vector<std::string> prepared_commits;
  int live_sessions = 0;
};

struct GcReport {
  std::uint64_t bytes_before = 0;
  std::uint64_t bytes_after = 0;
  std::vector<std::string> evicted;  // "tree <url> <commit>" or "mirror <url>"
};

class RepoCache {
 public:
  explicit RepoCache(RepoCacheOptions options);
  // Waits for background prepared-tree builds.
  ~RepoCache();
  RepoCache(const RepoCache&) = delete;
  RepoCache& operator=(const RepoCache&) = delete;

  // Makes sure the mirror exists and is as fresh as spec.update asks; resolves the spec to
  // a commit. Throws RepoError, also for local failures (disk, permissions).
  MirrorInfo fetch(const RepoSpec& spec);

  // Makes a session checkout: fetch() (with an access check when the repository needs
  // authentication), a prepared tree, and an overlay mount at host_dir. Throws RepoError.
  SessionCheckout checkout(const CheckoutRequest& request);

  // Unmounts a session checkout and deletes its layer. Safe to call twice.
  void release(const std::string& session_id);

  // Unmounts a session checkout but keeps its layer (the session's commits, branches and
  // files) for reattach(): the session's sandbox is gone, the session lives on. A kept
  // layer pins its prepared tree and mirror against gc() until release(). Safe to call when
  // nothing is mounted or there is no checkout.
  void detach(const std::string& session_id);

  // Mounts a session's kept checkout again (a checkout still mounted is used as it is), its
  // layer's changes intact, with a plan for mount_path. nullopt when the session has no
  // checkout. Throws RepoError (kind checkout) when the layer exists but cannot be mounted
  // (its prepared tree or mirror is gone): then only release() is left.
  std::optional<SessionCheckout> reattach(const std::string& session_id,
                                          const std::string& mount_path);

  // The ids of every session checkout on disk: mounted, kept, or left by a crash.
  std::vector<std::string> session_checkouts() const;

  std::vector<CachedRepo> list() const;

  // Evicts least-recently-used prepared trees, then mirrors, that no live session uses,
  // until the cache is at most max_bytes.
  GcReport gc(std::uint64_t max_bytes);

  // Waits until background prepared-tree builds have finished.
  void wait_background();

  const std::filesystem::path& root() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Sets remote.<remote>.url in a checkout's .git/config (the file stays owned by `owner`).
// Throws RepoError (kind checkout).
void set_remote_url(const std::filesystem::path& checkout, const std::string& remote,
                    const std::string& url, Owner owner);

}  // namespace cove::mounts
