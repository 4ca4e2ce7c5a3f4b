// RepoCache: construction, metadata files, listing and eviction.
#include "mounts/repo_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "mounts/cache_impl.hpp"
#include "mounts/repo_url.hpp"

namespace cove::mounts {

using nlohmann::json;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string random_hex(int bytes) {
  static thread_local std::random_device device;
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    auto b = device() & 0xff;
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp-" + random_hex(6);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t disk_usage(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
  }
  return total;
}

void chown_all(const fs::path& dir, Owner owner) {
  if (::lchown(dir.c_str(), owner.uid, owner.gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "lchown " + dir.string());
  }
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    if (::lchown(it->path().c_str(), owner.uid, owner.gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "lchown " + it->path().string());
    }
  }
}

void remove_via_trash(const fs::path& path, const fs::path& trash) {
  std::error_code ec;
  auto target = trash / (path.filename().string() + "-" + random_hex(6));
  fs::rename(path, target, ec);
  fs::remove_all(ec ? path : target, ec);
}

RepoCache::Impl::Impl(RepoCacheOptions opts) : options(std::move(opts)) {
  ensure_libgit2();
  set_network_timeout(options.network_timeout);
  const auto& root = options.root;
  locks = root / "locks";
  mirrors = root / "mirrors";
  trees = root / "trees";
  sessions = root / "sessions";
  tmp = root / "tmp";
  trash = root / "trash";
  for (const auto* dir : {&locks, &mirrors, &trees, &sessions, &tmp, &trash}) {
    fs::create_directories(*dir);
  }
}

fs::path RepoCache::Impl::tree_dir(const std::string& key, const std::string& commit,
                                   Owner owner) const {
  return trees / key / (commit + "-" + std::to_string(owner.uid) + "-" + std::to_string(owner.gid));
}

namespace {

std::int64_t mtime_ms(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
}

}  // namespace

// An overlay mounted at path has another device number than its parent directory.
bool is_mount_point(const fs::path& path) {
  struct stat self, parent;
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat(path.parent_path().c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

void touch(const fs::path& path) {
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

std::optional<MirrorMeta> RepoCache::Impl::read_mirror_meta(const std::string& key) const {
  auto text = read_file(mirror_meta_path(key));
  if (!text) return std::nullopt;
  try {
    auto j = json::parse(*text);
    MirrorMeta m;
    m.url = j.value("url", "");
    m.default_branch = j.value("default_branch", "");
    m.last_fetch_ms = j.value("last_fetch_ms", std::int64_t{0});
    m.last_used_ms = mtime_ms(mirror_meta_path(key));
    m.auth_required = j.value("auth_required", false);
    return m;
  } catch (const json::exception&) {
    return std::nullopt;  // a damaged meta file means an unknown mirror: it is re-cloned
  }
}

void RepoCache::Impl::write_mirror_meta(const std::string& key, const MirrorMeta& m) const {
  json j{{"url", m.url},
         {"default_branch", m.default_branch},
         {"last_fetch_ms", m.last_fetch_ms},
         {"auth_required", m.auth_required}};
  write_file_atomic(mirror_meta_path(key), j.dump(2) + "\n");
}

std::optional<TreeMeta> RepoCache::Impl::read_tree_meta(const fs::path& tree) const {
  auto path = tree;
  path += ".json";
  auto text = read_file(path);
  if (!text) return std::nullopt;
  try {
    auto j = json::parse(*text);
    TreeMeta m;
    m.commit = j.value("commit", "");
    m.branch = j.value("branch", "");
    m.owner.uid = j.value("uid", 0u);
    m.owner.gid = j.value("gid", 0u);
    m.built_ms = j.value("built_ms", std::int64_t{0});
    m.last_used_ms = mtime_ms(path);
    return m;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

void RepoCache::Impl::write_tree_meta(const fs::path& tree, const TreeMeta& m) const {
  auto path = tree;
  path += ".json";
  json j{{"commit", m.commit},
         {"branch", m.branch},
         {"uid", m.owner.uid},
         {"gid", m.owner.gid},
         {"built_ms", m.built_ms}};
  write_file_atomic(path, j.dump(2) + "\n");
}

std::optional<Lease> read_lease(const fs::path& layer_dir) {
  auto text = read_file(layer_dir / "lease.json");
  if (!text) return std::nullopt;
  try {
    auto j = json::parse(*text);
    return Lease{j.value("session_id", ""), j.value("key", ""),      j.value("tree", ""),
                 j.value("url", ""),        j.value("host_dir", ""), j.value("copy", false),
                 j.value("kept", false)};
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::vector<Lease> RepoCache::Impl::read_leases() const {
  std::vector<Lease> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sessions, ec)) {
    auto lease = read_lease(entry.path());
    if (lease && (lease->copy || lease->kept || is_mount_point(lease->host_dir)))
      out.push_back(std::move(*lease));
  }
  return out;
}

RepoCache::RepoCache(RepoCacheOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RepoCache::~RepoCache() {
  wait_background();
}

void RepoCache::wait_background() {
  for (;;) {
    std::vector<Impl::BackgroundBuild> builds;
    {
      std::lock_guard lock(impl_->background_mutex);
      builds.swap(impl_->background);
    }
    if (builds.empty()) return;
    for (auto& b : builds)
      b.thread.join();
  }
}

const std::filesystem::path& RepoCache::root() const {
  return impl_->options.root;
}

namespace {

// The boundary of the layer: whatever failed below becomes a RepoError of the given kind.
template <typename F>
auto as_repo_error(const std::string& url, RepoErrorKind kind, F&& body) {
  try {
    return body();
  } catch (const RepoError&) {
    throw;
  } catch (const std::exception& e) {
    throw RepoError(kind, clean_url(url), e.what());
  }
}

}  // namespace

MirrorInfo RepoCache::fetch(const RepoSpec& spec) {
  return as_repo_error(spec.url, RepoErrorKind::clone, [&] { return impl_->fetch(spec); });
}

SessionCheckout RepoCache::checkout(const CheckoutRequest& request) {
  return as_repo_error(request.repo.url, RepoErrorKind::checkout,
                       [&] { return impl_->checkout(request); });
}

void RepoCache::release(const std::string& session_id) {
  impl_->release(session_id);
}

void RepoCache::detach(const std::string& session_id) {
  impl_->detach(session_id);
}

std::optional<SessionCheckout> RepoCache::reattach(const std::string& session_id,
                                                   const std::string& mount_path) {
  return impl_->reattach(session_id, mount_path);
}

std::vector<std::string> RepoCache::session_checkouts() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(impl_->sessions, ec))
    if (entry.is_directory()) ids.push_back(entry.path().filename().string());
  return ids;
}

namespace {

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

struct TreeEntry {
  std::string key;
  fs::path dir;
  std::int64_t last_used_ms;
  std::uint64_t bytes;
};

std::vector<TreeEntry> list_trees(const RepoCache::Impl& impl, const std::string& key) {
  std::vector<TreeEntry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(impl.trees / key, ec)) {
    if (!entry.is_directory()) continue;
    auto meta = impl.read_tree_meta(entry.path());
    out.push_back(
        TreeEntry{key, entry.path(), meta ? meta->last_used_ms : 0, disk_usage(entry.path())});
  }
  return out;
}

void remove_tree(const RepoCache::Impl& impl, const fs::path& dir) {
  auto meta = dir;
  meta += ".json";
  std::error_code ec;
  fs::remove(meta, ec);
  remove_via_trash(dir, impl.trash);
}

}  // namespace

std::vector<CachedRepo> RepoCache::list() const {
  std::vector<CachedRepo> out;
  auto leases = impl_->read_leases();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(impl_->mirrors, ec)) {
    auto key = entry.path().filename().string();
    auto meta = impl_->read_mirror_meta(key);
    if (!meta) continue;
    CachedRepo repo;
    repo.url = meta->url;
    repo.key = key;
    repo.last_used = from_ms(meta->last_used_ms);
    repo.last_fetch = from_ms(meta->last_fetch_ms);
    repo.bytes = disk_usage(entry.path());
    for (const auto& tree : list_trees(*impl_, key)) {
      repo.bytes += tree.bytes;
      if (auto tm = impl_->read_tree_meta(tree.dir)) repo.prepared_commits.push_back(tm->commit);
    }
    std::sort(repo.prepared_commits.begin(), repo.prepared_commits.end());
    repo.prepared_commits.erase(
        std::unique(repo.prepared_commits.begin(), repo.prepared_commits.end()),
        repo.prepared_commits.end());
    repo.live_sessions = static_cast<int>(
        std::count_if(leases.begin(), leases.end(), [&](const Lease& l) { return l.key == key; }));
    out.push_back(std::move(repo));
  }
  std::sort(out.begin(), out.end(),
            [](const CachedRepo& a, const CachedRepo& b) { return a.last_used > b.last_used; });
  return out;
}

GcReport RepoCache::gc(std::uint64_t max_bytes) {
  auto& impl = *impl_;
  GcReport report;
  // Leftovers of crashed builds and deletions.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(impl.trash, ec))
    fs::remove_all(entry, ec);
  for (const auto& entry : fs::directory_iterator(impl.tmp, ec)) {
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry, ec);
    if (!ec && age > std::chrono::hours(1)) fs::remove_all(entry, ec);
  }

  auto repos = list();
  for (const auto& r : repos)
    report.bytes_before += r.bytes;
  std::uint64_t total = report.bytes_before;

  auto leased = [&](const std::string& key, const fs::path* tree) {
    for (const auto& l : impl.read_leases()) {
      if (l.key == key && (!tree || l.tree == tree->filename().string())) return true;
    }
    return false;
  };

  // Prepared trees first (one checkout to rebuild), least recently used first.
  std::vector<TreeEntry> trees;
  for (const auto& r : repos) {
    auto t = list_trees(impl, r.key);
    trees.insert(trees.end(), t.begin(), t.end());
  }
  std::sort(trees.begin(), trees.end(),
            [](const auto& a, const auto& b) { return a.last_used_ms < b.last_used_ms; });
  auto url_of = [&](const std::string& key) {
    for (const auto& r : repos) {
      if (r.key == key) return r.url;
    }
    return key;
  };
  for (const auto& t : trees) {
    if (total <= max_bytes) break;
    // Exclusive: no session is being created from this repository meanwhile.
    auto lock = FileLock::try_lock(impl.mirror_lock(t.key), FileLock::Mode::exclusive);
    if (!lock.owns_lock() || leased(t.key, &t.dir)) continue;
    remove_tree(impl, t.dir);
    total -= std::min(total, t.bytes);
    report.evicted.push_back("tree " + url_of(t.key) + " " + t.dir.filename().string());
  }

  // Then whole mirrors (a network clone to rebuild).
  std::sort(repos.begin(), repos.end(),
            [](const auto& a, const auto& b) { return a.last_used < b.last_used; });
  for (const auto& r : repos) {
    if (total <= max_bytes) break;
    auto lock = FileLock::try_lock(impl.mirror_lock(r.key), FileLock::Mode::exclusive);
    if (!lock.owns_lock() || leased(r.key, nullptr)) continue;
    std::uint64_t bytes = disk_usage(impl.mirrors / r.key);
    for (const auto& t : list_trees(impl, r.key)) {
      remove_tree(impl, t.dir);
      bytes += t.bytes;
    }
    remove_via_trash(impl.mirrors / r.key, impl.trash);
    fs::remove_all(impl.trees / r.key, ec);
    total -= std::min(total, bytes);
    report.evicted.push_back("mirror " + r.url);
  }
  report.bytes_after = total;
  return report;
}

}  // namespace cove::mounts
