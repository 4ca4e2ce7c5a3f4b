// Session checkouts: an overlay of the session's own layer over a prepared tree.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "mounts/cache_impl.hpp"

namespace cove::mounts {
namespace {

bool valid_session_id(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool overlay_safe(const fs::path& p) {
  auto s = p.string();
  return s.find_first_of(",:\\") == std::string::npos;
}

void chown_through(const fs::path& upper, const fs::path& view, Owner owner) {
  for (fs::recursive_directory_iterator it(upper), end; it != end; ++it) {
    if (it->is_character_file()) continue;  // a whiteout: nothing to see through the view
    auto target = view / it->path().lexically_relative(upper);
    if (::lchown(target.c_str(), owner.uid, owner.gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "lchown " + target.string());
    }
  }
}

git_oid oid_of(const std::string& hex) {
  git_oid oid;
  git_check(git_oid_fromstr(&oid, hex.c_str()), "commit id");
  return oid;
}

}  // namespace

bool mount_overlay(const fs::path& lower, const fs::path& upper, const fs::path& work,
                   const fs::path& target) {
  std::string options =
      "lowerdir=" + lower.string() + ",upperdir=" + upper.string() + ",workdir=" + work.string();
  if (::mount("overlay", target.c_str(), "overlay", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
    return true;
  }
  if (errno == EPERM || errno == ENODEV) return false;
  throw std::system_error(errno, std::generic_category(), "mount overlay on " + target.string());
}

// Inside the mounted view: move the tree to the wanted commit if it came from a nearby
// prepared tree, then point HEAD at the session's branch (or leave it detached).
void set_checkout_head(const fs::path& workdir, const MirrorInfo& mirror, const std::string& branch,
                       bool move_tree) {
  git_repository* raw = nullptr;
  git_check(git_repository_open_ext(&raw, workdir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
            "open checkout");
  GitRepository repo(raw);
  auto oid = oid_of(mirror.commit);
  if (move_tree) {
    git_commit* c = nullptr;
    git_check(git_commit_lookup(&c, repo.get(), &oid), "commit");
    GitCommit commit(c);
    git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
    co.checkout_strategy = GIT_CHECKOUT_SAFE;
    git_check(git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(c), &co),
              "update checkout");
    if (!branch.empty()) {
      git_reference* tracking = nullptr;
      std::string name = "refs/remotes/origin/" + branch;
      git_check(git_reference_create(&tracking, repo.get(), name.c_str(), &oid, 1, "cove: fetch"),
                "update remote ref");
      git_reference_free(tracking);
    }
  }
  if (branch.empty()) {
    if (move_tree) git_check(git_repository_set_head_detached(repo.get(), &oid), "set HEAD");
    return;
  }
  git_reference* local = nullptr;
  std::string name = "refs/heads/" + branch;
  git_check(git_reference_create(&local, repo.get(), name.c_str(), &oid, 1, "cove: checkout"),
            "create branch");
  GitReference owned(local);
  // Upstream through config keys rather than git_branch_set_upstream, whose remote lookup
  // leaks regex match data in libgit2 1.5.1.
  git_reference* remote_ref = nullptr;
  if (git_reference_lookup(&remote_ref, repo.get(), ("refs/remotes/origin/" + branch).c_str()) ==
      0) {
    git_reference_free(remote_ref);
    git_config* raw_cfg = nullptr;
    git_check(git_repository_config(&raw_cfg, repo.get()), "config");
    GitConfig cfg(raw_cfg);
    auto section = "branch." + branch;
    git_check(git_config_set_string(raw_cfg, (section + ".remote").c_str(), "origin"), "config");
    git_check(git_config_set_string(raw_cfg, (section + ".merge").c_str(), name.c_str()), "config");
  }
  git_check(git_repository_set_head(repo.get(), name.c_str()), "set HEAD");
}

fs::path RepoCache::Impl::choose_lower(const MirrorInfo& mirror, const std::string& branch,
                                       Owner owner, SessionCheckout& out) {
  auto exact = tree_dir(mirror.key, mirror.commit, owner);
  if (fs::exists(exact)) return exact;
  if (auto near = nearest_tree(mirror, branch, owner)) {
    out.updated_in_layer = true;
    build_tree_in_background(mirror, branch, owner);
    return *near;
  }
  return build_tree(mirror, branch, owner, &out.built_prepared_tree);
}

namespace {

void check_request(const CheckoutRequest& req, const fs::path& session_dir) {
  const auto& url_for_errors = req.repo.url;
  if (!valid_session_id(req.session_id)) {
    throw RepoError(RepoErrorKind::checkout, url_for_errors,
                    "invalid session id '" + req.session_id + "'");
  }
  if (req.mount_path.empty() || req.mount_path.front() != '/') {
    throw RepoError(RepoErrorKind::checkout, url_for_errors, "mount_path must be absolute");
  }
  if (fs::exists(session_dir)) {
    throw RepoError(RepoErrorKind::checkout, url_for_errors,
                    "session " + req.session_id + " already has a checkout");
  }
}

}  // namespace

RepoCache::Impl::PinnedMirror RepoCache::Impl::pin_mirror(const CheckoutRequest& req,
                                                          SessionCheckout& out) {
  // A mirror found damaged while building the tree is re-cloned once.
  PinnedMirror p;
  for (int attempt = 0;; ++attempt) {
    p.mirror = fetch(req.repo);
    p.branch = !req.repo.branch.empty()  ? req.repo.branch
               : req.repo.commit.empty() ? p.mirror.default_branch
                                         : "";
    // Shared: neither eviction nor a re-clone can start while this session is being made.
    p.pin.emplace(mirror_lock(p.mirror.key), FileLock::Mode::shared);
    try {
      if (options.overlay) p.lower = choose_lower(p.mirror, p.branch, req.owner, out);
      return p;
    } catch (const MirrorDamaged& d) {
      p.pin.reset();
      if (attempt > 0) throw RepoError(RepoErrorKind::checkout, p.mirror.url, d.what());
      repair_mirror(req.repo);
    }
  }
}

void RepoCache::Impl::make_session_view(const CheckoutRequest& req, const PinnedMirror& pinned,
                                        bool head_ready, SessionCheckout& out) {
  const auto& mirror = pinned.mirror;
  const auto& branch = pinned.branch;
  const auto& lower = pinned.lower;
  const auto& session_dir = out.layer_dir;
  bool copying = false;
  try {
    for (const fs::path& p : {lower, session_dir, out.host_dir}) {
      if (!overlay_safe(p)) throw std::runtime_error("path unusable for overlayfs: " + p.string());
    }
    fs::create_directories(session_dir / "upper");
    fs::create_directories(session_dir / "work");
    fs::create_directories(out.host_dir);
    ::chmod((session_dir / "upper").c_str(), 0755);
    chown_all(session_dir / "upper", req.owner);
    nlohmann::json lease{{"session_id", req.session_id},
                         {"key", mirror.key},
                         {"tree", lower.filename().string()},
                         {"url", mirror.url},
                         {"host_dir", out.host_dir.string()}};
    if (options.overlay &&
        mount_overlay(lower, session_dir / "upper", session_dir / "work", out.host_dir)) {
      MountGuard guard(out.host_dir);
      if (!head_ready) set_checkout_head(out.host_dir, mirror, branch, out.updated_in_layer);
      // Whatever the runtime wrote into the session's layer belongs to the session's user.
      // Changed through the mount: overlayfs caches attributes, so a chown made directly in
      // the upper directory would not be seen (or enforced) through the view.
      chown_through(session_dir / "upper", out.host_dir, req.owner);
      write_file_atomic(session_dir / "lease.json", lease.dump(2) + "\n");
      guard.release();
    } else {
      if (!fs::is_empty(out.host_dir)) {
        throw std::runtime_error(out.host_dir.string() + " is not empty");
      }
      lease["copy"] = true;
      write_file_atomic(session_dir / "lease.json", lease.dump(2) + "\n");
      copying = true;
      write_checkout(mirror, branch, req.owner, out.host_dir);
      out.copied = true;
    }
  } catch (const std::exception& e) {
    std::error_code ec;
    if (copying) {
      for (const auto& entry : fs::directory_iterator(out.host_dir, ec))
        fs::remove_all(entry, ec);
    }
    fs::remove_all(session_dir, ec);
    if (auto* f = dynamic_cast<const GitFailure*>(&e)) {
      throw RepoError(RepoErrorKind::checkout, mirror.url, f->what());
    }
    throw RepoError(RepoErrorKind::checkout, mirror.url, e.what());
  }
}

SessionCheckout RepoCache::Impl::checkout(const CheckoutRequest& req) {
  auto session_dir = sessions / req.session_id;
  check_request(req, session_dir);
  SessionCheckout out;
  auto pinned = pin_mirror(req, out);
  const auto& mirror = pinned.mirror;
  out.session_id = req.session_id;
  out.url = mirror.url;
  out.commit = mirror.commit;
  out.branch = pinned.branch;
  out.layer_dir = session_dir;
  out.host_dir = req.host_dir.empty() ? session_dir / "merged" : req.host_dir;
  std::optional<TreeMeta> tree_meta;
  if (!pinned.lower.empty()) {
    tree_meta = read_tree_meta(pinned.lower);
    auto meta_path = pinned.lower;
    touch(meta_path += ".json");
  }
  // A prepared tree already has HEAD on the branch it was built for.
  bool head_ready = !out.updated_in_layer && tree_meta && tree_meta->commit == mirror.commit &&
                    tree_meta->branch == pinned.branch;
  make_session_view(req, pinned, head_ready, out);

  out.plan.entries.push_back(MountEntry{out.host_dir, req.mount_path, false});
  auto objects = mirror.path / "objects";
  out.plan.entries.push_back(MountEntry{objects, objects.string(), true});
  return out;
}

void RepoCache::Impl::release(const std::string& session_id) {
  if (!valid_session_id(session_id)) return;
  auto session_dir = sessions / session_id;
  if (!fs::exists(session_dir)) return;
  fs::path host_dir = session_dir / "merged";
  if (auto text = read_file(session_dir / "lease.json")) {
    try {
      host_dir = nlohmann::json::parse(*text).value("host_dir", host_dir.string());
    } catch (const nlohmann::json::exception&) {
    }
  }
  bool copy = false;
  if (auto text = read_file(session_dir / "lease.json")) {
    try {
      copy = nlohmann::json::parse(*text).value("copy", false);
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (copy) {
    // A full checkout: its files are the session's layer. The directory itself stays.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(host_dir, ec))
      fs::remove_all(entry, ec);
  } else if (::umount2(host_dir.c_str(), 0) != 0 && errno == EBUSY) {
    ::umount2(host_dir.c_str(), MNT_DETACH);
  }
  remove_via_trash(session_dir, trash);
}

}  // namespace cove::mounts
