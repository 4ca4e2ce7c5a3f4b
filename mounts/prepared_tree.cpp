// Prepared trees: an immutable checkout of one commit for one owner, borrowing every object
// from the mirror. Sessions mount them as the lower layer of an overlay.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "mounts/cache_impl.hpp"

namespace cove::mounts {
namespace {

GitRepository open_repo(const fs::path& path) {
  git_repository* raw = nullptr;
  git_check(git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
            "open repository");
  return GitRepository(raw);
}

git_oid parse_oid(const std::string& hex) {
  git_oid oid;
  git_check(git_oid_fromstr(&oid, hex.c_str()), "commit id");
  return oid;
}

void configure(git_repository* repo, const std::string& url) {
  git_config* raw = nullptr;
  git_check(git_repository_config(&raw, repo), "config");
  GitConfig cfg(raw);
  // The sandbox sees other uids and inode numbers than the host that wrote the index, and
  // copy-up changes ctime: compare only mtime and size.
  git_check(git_config_set_string(raw, "core.checkStat", "minimal"), "config");
  git_check(git_config_set_bool(raw, "core.trustctime", 0), "config");
  git_check(git_config_set_int32(raw, "gc.auto", 0), "config");
  git_check(git_config_set_string(raw, "remote.origin.url", url.c_str()), "config");
  git_check(
      git_config_set_string(raw, "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"),
      "config");
}

// refs/heads/* of the mirror become refs/remotes/origin/*, tags stay tags. Written as one
// packed-refs file (gitrepository-layout) rather than one loose file per ref: repositories
// with thousands of tags would otherwise pay thousands of file creations.
void copy_refs(git_repository* mirror, const fs::path& gitdir, const std::string& default_branch) {
  std::vector<std::pair<std::string, std::string>> refs;
  git_reference_iterator* raw = nullptr;
  git_check(git_reference_iterator_new(&raw, mirror), "list mirror refs");
  GitRefIterator it(raw);
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it.get()) == 0) {
    GitReference owned(ref);
    const git_oid* oid = git_reference_target(ref);
    if (!oid) continue;
    std::string name = git_reference_name(ref);
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, oid);
    if (name.rfind("refs/heads/", 0) == 0) {
      refs.emplace_back("refs/remotes/origin/" + name.substr(11), hex);
    } else if (name.rfind("refs/tags/", 0) == 0) {
      refs.emplace_back(name, hex);
    }
  }
  std::sort(refs.begin(), refs.end());
  std::string packed;
  for (const auto& [name, hex] : refs)
    packed += hex + " " + name + "\n";
  write_file_atomic(gitdir / "packed-refs", packed);
  if (!default_branch.empty()) {
    fs::create_directories(gitdir / "refs/remotes/origin");
    write_file_atomic(gitdir / "refs/remotes/origin/HEAD",
                      "ref: refs/remotes/origin/" + default_branch + "\n");
  }
}

// Files get an mtime safely older than the index, so git never sees them as racily clean
// and re-reads them: the first `git status` only compares stat data.
void own_and_age(const fs::path& dir, Owner owner, timespec mtime) {
  chown_all(dir, owner);
  timespec times[2] = {mtime, mtime};
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    if (it->path().filename() == ".git" && it.depth() == 0) {
      it.disable_recursion_pending();
      continue;
    }
    ::utimensat(AT_FDCWD, it->path().c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

// Re-reads the stat data of every index entry from the files, without hashing them.
void refresh_index(git_repository* repo, const fs::path& workdir) {
  git_index* raw = nullptr;
  git_check(git_repository_index(&raw, repo), "index");
  GitIndex index(raw);
  git_check(git_index_read(raw, 1), "read index");
  size_t count = git_index_entrycount(raw);
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* e = git_index_get_byindex(raw, i);
    if (!e || e->mode == GIT_FILEMODE_COMMIT) continue;
    std::string path = e->path;
    struct stat st;
    if (::lstat((workdir / path).c_str(), &st) != 0) continue;
    git_index_entry copy = *e;
    copy.path = path.c_str();
    copy.ctime.seconds = static_cast<int32_t>(st.st_ctim.tv_sec);
    copy.ctime.nanoseconds = static_cast<uint32_t>(st.st_ctim.tv_nsec);
    copy.mtime.seconds = static_cast<int32_t>(st.st_mtim.tv_sec);
    copy.mtime.nanoseconds = static_cast<uint32_t>(st.st_mtim.tv_nsec);
    copy.dev = static_cast<uint32_t>(st.st_dev);
    copy.ino = static_cast<uint32_t>(st.st_ino);
    copy.uid = st.st_uid;
    copy.gid = st.st_gid;
    copy.file_size = static_cast<uint32_t>(st.st_size);
    git_check(git_index_add(raw, &copy), "update index");
  }
  git_check(git_index_write(raw), "write index");
}

std::string commit_of(const fs::path& tree_dir) {
  auto name = tree_dir.filename().string();
  return name.substr(0, name.find('-'));
}

}  // namespace

void write_checkout(const MirrorInfo& mirror, const std::string& branch, Owner owner,
                    const fs::path& dir) {
  try {
    {
      git_repository* raw = nullptr;
      git_check(git_repository_init(&raw, dir.c_str(), 0), "init");
      git_repository_free(raw);
    }
    auto gitdir = dir / ".git";
    write_file_atomic(gitdir / "objects/info/alternates",
                      (mirror.path / "objects").string() + "\n");
    auto repo = open_repo(dir);  // reopened so that the alternates are read
    configure(repo.get(), mirror.url);
    {
      git_repository* raw = nullptr;
      git_check(git_repository_open_bare(&raw, mirror.path.c_str()), "open mirror");
      GitRepository m(raw);
      copy_refs(m.get(), gitdir, mirror.default_branch);
    }
    auto oid = parse_oid(mirror.commit);
    git_commit* commit_raw = nullptr;
    git_check(git_commit_lookup(&commit_raw, repo.get(), &oid), "commit");
    GitCommit commit(commit_raw);
    git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
    co.checkout_strategy = GIT_CHECKOUT_FORCE;
    git_check(git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(commit.get()), &co),
              "checkout");
    repo.reset();
    // Sessions on the branch this tree is built for find HEAD ready and write nothing.
    set_checkout_head(dir, mirror, branch, false);
    if (branch.empty()) {
      repo = open_repo(dir);
      git_check(git_repository_set_head_detached(repo.get(), &oid), "set HEAD");
    }
    repo = open_repo(dir);
    timespec old{};
    ::clock_gettime(CLOCK_REALTIME, &old);
    old.tv_sec -= 5;
    own_and_age(dir, owner, old);
    refresh_index(repo.get(), dir);
    chown_all(gitdir, owner);
  } catch (const GitFailure& f) {
    if (f.code == GIT_ENOTFOUND || f.klass == GIT_ERROR_ODB || f.klass == GIT_ERROR_ZLIB) {
      throw MirrorDamaged(f.what());
    }
    throw RepoError(RepoErrorKind::checkout, mirror.url, f.what());
  } catch (const std::system_error& e) {
    throw RepoError(RepoErrorKind::checkout, mirror.url, e.what());
  }
}

fs::path RepoCache::Impl::build_tree(const MirrorInfo& mirror, const std::string& branch,
                                     Owner owner, bool* built) {
  if (built) *built = false;
  auto dir = tree_dir(mirror.key, mirror.commit, owner);
  if (fs::exists(dir)) return dir;
  fs::create_directories(trees / mirror.key);
  FileLock lock(tree_lock(mirror.key), FileLock::Mode::exclusive);
  if (fs::exists(dir)) return dir;  // built by whoever held the lock before us

  auto tmp_dir = tmp / ("tree-" + mirror.key + "-" + random_hex(6));
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      if (!p.empty()) fs::remove_all(p, ec);
    }
  } cleanup{tmp_dir};
  write_checkout(mirror, branch, owner, tmp_dir);
  TreeMeta meta;
  meta.commit = mirror.commit;
  meta.branch = branch;
  meta.owner = owner;
  meta.built_ms = meta.last_used_ms = now_ms();
  write_tree_meta(dir, meta);
  fs::rename(tmp_dir, dir);
  cleanup.p.clear();
  if (built) *built = true;
  return dir;
}

std::optional<fs::path> RepoCache::Impl::nearest_tree(const MirrorInfo& mirror,
                                                      const std::string& branch, Owner owner) {
  std::optional<fs::path> best;
  std::pair<bool, std::int64_t> best_rank{false, -1};  // same branch, then newest
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(trees / mirror.key, ec)) {
    if (!entry.is_directory()) continue;
    auto meta = read_tree_meta(entry.path());
    if (!meta || meta->owner.uid != owner.uid || meta->owner.gid != owner.gid) continue;
    std::pair<bool, std::int64_t> rank{!branch.empty() && meta->branch == branch, meta->built_ms};
    if (rank > best_rank) {
      best_rank = rank;
      best = entry.path();
    }
  }
  if (!best) return std::nullopt;
  // Close enough only if few files differ: the session layer pays per changed file.
  try {
    git_repository* raw = nullptr;
    git_check(git_repository_open_bare(&raw, mirror.path.c_str()), "open mirror");
    GitRepository repo(raw);
    auto trees_of = [&](const std::string& hex) {
      auto oid = parse_oid(hex);
      git_commit* c = nullptr;
      git_check(git_commit_lookup(&c, repo.get(), &oid), "commit");
      GitCommit commit(c);
      git_tree* t = nullptr;
      git_check(git_commit_tree(&t, c), "tree");
      return GitTree(t);
    };
    auto from = trees_of(commit_of(*best));
    auto to = trees_of(mirror.commit);
    git_diff* d = nullptr;
    git_check(git_diff_tree_to_tree(&d, repo.get(), from.get(), to.get(), nullptr), "diff");
    GitDiff diff(d);
    if (git_diff_num_deltas(d) > options.max_layer_update_files) return std::nullopt;
  } catch (const GitFailure&) {
    return std::nullopt;
  }
  return best;
}

void RepoCache::Impl::build_tree_in_background(const MirrorInfo& mirror, const std::string& branch,
                                               Owner owner) {
  std::lock_guard lock(background_mutex);
  std::erase_if(background, [](BackgroundBuild& b) {
    if (!b.done->load()) return false;
    b.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([this, mirror, branch, owner, done] {
    try {
      FileLock pin(mirror_lock(mirror.key), FileLock::Mode::shared);
      build_tree(mirror, branch, owner);
    } catch (const std::exception&) {
      // Best effort: the next session on this commit builds it in the foreground.
    }
    *done = true;
  });
  background.push_back(BackgroundBuild{std::move(thread), done});
}

}  // namespace cove::mounts
