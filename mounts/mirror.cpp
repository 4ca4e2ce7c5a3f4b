// Mirrors: one bare repository per URL, cloned and fetched with libgit2 under a lock.
#include <map>

#include "mounts/cache_impl.hpp"
#include "mounts/repo_url.hpp"

namespace cove::mounts {
namespace {

const char* kRefspecs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};

using RemoteRefs = std::map<std::string, git_oid>;

// One authenticated round trip: the ref advertisement. Proves that the token may read the
// repository, and tells whether the mirror is behind.
RemoteRefs list_remote(RemoteSession& session) {
  git_remote* raw = nullptr;
  try {
    git_check(git_remote_create_detached(&raw, session.url.c_str()), "remote");
    GitRemote remote(raw);
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    session.bind(callbacks);
    git_check(git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr),
              "connect");
    const git_remote_head** heads = nullptr;
    size_t count = 0;
    git_check(git_remote_ls(&heads, &count, remote.get()), "list refs");
    RemoteRefs refs;
    for (size_t i = 0; i < count; ++i)
      refs[heads[i]->name] = heads[i]->oid;
    git_remote_disconnect(remote.get());
    return refs;
  } catch (const GitFailure& f) {
    throw remote_error(session, f, RepoErrorKind::clone);
  }
}

// Fetches heads and tags into the bare repository, pruning what the remote deleted, and
// points HEAD at the remote's default branch. Returns that branch ("" if unknown).
std::string fetch_into(git_repository* repo, RemoteSession& session, RepoErrorKind kind) {
  try {
    git_remote* raw = nullptr;
    // Anonymous: the URL stays out of the mirror's config. No insteadOf rewriting (its
    // regex-based config lookup also leaks in libgit2 1.5.1).
    git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
    create.repository = repo;
    create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    git_check(git_remote_create_with_opts(&raw, session.url.c_str(), &create), "remote");
    GitRemote remote(raw);
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    session.bind(opts.callbacks);
    opts.prune = GIT_FETCH_PRUNE;
    opts.update_fetchhead = 0;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    git_strarray specs{const_cast<char**>(kRefspecs), 2};
    git_check(git_remote_fetch(remote.get(), &specs, &opts, "cove: fetch"), "fetch");
    GitBuf head;
    if (git_remote_default_branch(&head.buf, remote.get()) < 0) return "";
    git_reference* ref = nullptr;
    git_check(git_reference_symbolic_create(&ref, repo, "HEAD", head.buf.ptr, 1, nullptr),
              "set HEAD");
    git_reference_free(ref);
    auto name = head.str();
    return name.rfind("refs/heads/", 0) == 0 ? name.substr(11) : name;
  } catch (const GitFailure& f) {
    throw remote_error(session, f, kind);
  }
}

// Opens the mirror, or returns null if it is missing or damaged (unreadable repository,
// or a ref whose object is gone).
GitRepository open_mirror(const fs::path& path) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, path.c_str()) < 0) return nullptr;
  GitRepository repo(raw);
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo.get()) < 0) return nullptr;
  GitOdb odb(odb_raw);
  git_reference_iterator* it_raw = nullptr;
  if (git_reference_iterator_new(&it_raw, repo.get()) < 0) return nullptr;
  GitRefIterator it(it_raw);
  git_reference* ref = nullptr;
  int rc;
  while ((rc = git_reference_next(&ref, it.get())) == 0) {
    GitReference owned(ref);
    const git_oid* oid = git_reference_target(ref);
    if (oid && !git_odb_exists(odb.get(), oid)) return nullptr;
  }
  if (rc != GIT_ITEROVER) return nullptr;
  return repo;
}

// The commit the spec asks for, or nullopt if the mirror lacks it.
std::optional<git_oid> resolve(git_repository* repo, const RepoSpec& spec,
                               const std::string& default_branch) {
  git_object* obj = nullptr;
  std::string what = !spec.commit.empty()   ? spec.commit
                     : !spec.branch.empty() ? "refs/heads/" + spec.branch
                                            : "refs/heads/" + default_branch;
  if (spec.commit.empty() && spec.branch.empty() && default_branch.empty()) what = "HEAD";
  if (git_revparse_single(&obj, repo, what.c_str()) < 0) return std::nullopt;
  GitObject owned(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) return std::nullopt;
  GitObject commit(peeled);
  return *git_object_id(peeled);
}

std::string hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

bool wants_fetch(const RepoSpec& spec, const MirrorMeta& meta, std::int64_t started_ms,
                 std::chrono::seconds ttl) {
  switch (spec.update) {
    case UpdatePolicy::always:
      return meta.last_fetch_ms < started_ms;  // someone fetched while we waited: reuse it
    case UpdatePolicy::if_stale:
      return now_ms() - meta.last_fetch_ms > ttl.count() * 1000;
    case UpdatePolicy::never:
      return false;
  }
  return true;
}

// Creates the mirror in tmp/ and renames it into place (replacing a damaged one).
std::string clone_mirror(const RepoCache::Impl& impl, const std::string& key,
                         RemoteSession& session) {
  auto tmp = impl.tmp / ("mirror-" + key + "-" + random_hex(6));
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{tmp};
  std::string default_branch;
  {
    git_repository* raw = nullptr;
    try {
      git_check(git_repository_init(&raw, tmp.c_str(), 1), "init mirror");
    } catch (const GitFailure& f) {
      throw RepoError(RepoErrorKind::clone, session.url, f.what());
    }
    GitRepository repo(raw);
    git_config* cfg = nullptr;
    if (git_repository_config(&cfg, repo.get()) == 0) {
      GitConfig config(cfg);
      git_config_set_int32(cfg, "gc.auto", 0);
      git_config_set_bool(cfg, "maintenance.auto", 0);
    }
    default_branch = fetch_into(repo.get(), session, RepoErrorKind::clone);
  }
  fs::create_directories(impl.mirrors / key);
  auto target = impl.mirror_repo(key);
  if (fs::exists(target)) remove_via_trash(target, impl.trash);
  fs::rename(tmp, target);
  return default_branch;
}

}  // namespace

MirrorInfo RepoCache::Impl::fetch(const RepoSpec& spec) {
  MirrorInfo info;
  info.url = clean_url(spec.url);
  info.key = repo_key(info.url);
  info.path = mirror_repo(info.key);
  const auto started = now_ms();
  RemoteSession session;
  session.url = info.url;
  session.host = url_host(info.url);
  session.token = spec.token;
  session.progress = &options.progress;

  // Access check with this request's own token, before anything cached is handed out.
  std::optional<RemoteRefs> advertised;
  if (auto meta = read_mirror_meta(info.key);
      meta && (meta->auth_required || !spec.token.empty())) {
    advertised = list_remote(session);
  }

  FileLock lock(mirror_lock(info.key), FileLock::Mode::exclusive);
  auto meta = read_mirror_meta(info.key);
  GitRepository repo = meta ? open_mirror(info.path) : nullptr;
  if (repo && !advertised && (meta->auth_required || !spec.token.empty())) {
    advertised = list_remote(session);  // the mirror appeared while we waited for the lock
  }
  if (!repo) {
    MirrorMeta fresh;
    fresh.url = info.url;
    fresh.default_branch = clone_mirror(*this, info.key, session);
    fresh.last_fetch_ms = now_ms();
    meta = fresh;
    info.fetched = info.cloned = true;
    git_repository* raw = nullptr;
    git_check(git_repository_open_bare(&raw, info.path.c_str()), "open mirror");
    repo.reset(raw);
  }
  auto current = resolve(repo.get(), spec, meta->default_branch);
  bool need = !info.fetched && (!current || wants_fetch(spec, *meta, started, options.fetch_ttl));
  if (!info.fetched && current && advertised && spec.commit.empty()) {
    // The advertisement we just received says whether the branch moved.
    auto branch = spec.branch.empty() ? meta->default_branch : spec.branch;
    auto it = advertised->find("refs/heads/" + branch);
    bool moved = it == advertised->end() || !git_oid_equal(&it->second, &*current);
    if (spec.update == UpdatePolicy::if_stale) need = moved;  // fresher than any TTL
    if (spec.update == UpdatePolicy::always) need = need || moved;
  }
  if (need) {
    auto branch = fetch_into(repo.get(), session, RepoErrorKind::clone);
    if (!branch.empty()) meta->default_branch = branch;
    meta->last_fetch_ms = now_ms();
    info.fetched = true;
    current = resolve(repo.get(), spec, meta->default_branch);
  }
  bool auth_seen = !meta->auth_required && session.credential_requests > 0;
  meta->auth_required = meta->auth_required || session.credential_requests > 0;
  if (info.fetched || auth_seen) {
    write_mirror_meta(info.key, *meta);
  } else {
    touch(mirror_meta_path(info.key));
  }
  info.default_branch = meta->default_branch;
  if (!current) {
    throw RepoError(RepoErrorKind::checkout, info.url,
                    !spec.commit.empty()   ? "commit " + spec.commit + " does not exist"
                    : !spec.branch.empty() ? "branch '" + spec.branch + "' does not exist"
                                           : "the repository has no default branch");
  }
  info.commit = hex(*current);
  return info;
}

void RepoCache::Impl::repair_mirror(const RepoSpec& spec) {
  auto url = clean_url(spec.url);
  auto key = repo_key(url);
  FileLock lock(mirror_lock(key), FileLock::Mode::exclusive);
  std::error_code ec;
  fs::remove(mirror_meta_path(key), ec);  // fetch() re-clones a mirror without meta
}

}  // namespace cove::mounts
