// libgit2 access to one bare repository of the forge (see git_repo.hpp).
#include "runtime/forge/git_repo.hpp"

#include <git2.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

#include "mounts/git_handles.hpp"

namespace cove::forge {

namespace {

namespace fs = std::filesystem;
using namespace cove::mounts;  // the libgit2 owners

[[noreturn]] void fail(const std::string& what) {
  const git_error* e = git_error_last();
  throw GitError(what + ": " + (e && e->message ? e->message : "unknown libgit2 error"));
}

void check(int rc, const std::string& what) {
  if (rc < 0) fail(what);
}

std::string hex(const git_oid& oid) {
  char out[GIT_OID_HEXSZ + 1];
  git_oid_tostr(out, sizeof out, &oid);
  return out;
}

git_oid oid_of(const std::string& sha) {
  git_oid oid;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, sha.c_str()) != 0)
    throw GitError("not a full object id: '" + sha + "'");
  return oid;
}

std::string iso_date(const git_time& when) {
  std::time_t t = static_cast<std::time_t>(when.time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

GitPerson person(const git_signature* s) {
  return {s->name ? s->name : "", s->email ? s->email : "", iso_date(s->when)};
}

GitCommit lookup_commit(git_repository* repo, const std::string& sha) {
  git_commit* c = nullptr;
  auto oid = oid_of(sha);
  check(git_commit_lookup(&c, repo, &oid), "commit " + sha);
  return GitCommit(c);
}

GitTree commit_tree(git_commit* c) {
  git_tree* t = nullptr;
  check(git_commit_tree(&t, c), "tree of commit " + hex(*git_commit_id(c)));
  return GitTree(t);
}

GitTree tree_of(git_repository* repo, const std::string& commit_sha) {
  return commit_tree(lookup_commit(repo, commit_sha).get());
}

GitCommitInfo info_of(git_commit* c) {
  GitCommitInfo i;
  i.sha = hex(*git_commit_id(c));
  i.tree = hex(*git_commit_tree_id(c));
  const char* msg = git_commit_message(c);
  i.message = msg ? msg : "";
  while (!i.message.empty() && i.message.back() == '\n')
    i.message.pop_back();
  i.author = person(git_commit_author(c));
  i.committer = person(git_commit_committer(c));
  for (unsigned n = 0; n < git_commit_parentcount(c); ++n)
    i.parents.push_back(hex(*git_commit_parent_id(c, n)));
  return i;
}

// "a//b/" → "a/b"; rejects "..", ".", ".git" components and NUL bytes.
std::string clean_path(const std::string& path, bool allow_root) {
  std::string out;
  std::size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty()) {
      std::string lower = part;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (part == "." || part == ".." || lower == ".git" || part.find('\0') != std::string::npos)
        throw std::invalid_argument("path '" + path + "' has a forbidden component '" + part + "'");
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  if (out.empty() && !allow_root) throw std::invalid_argument("path must not be empty");
  return out;
}

std::optional<GitTreeEntry> entry_at(git_tree* tree, const std::string& path) {
  git_tree_entry* e = nullptr;
  int rc = git_tree_entry_bypath(&e, tree, path.c_str());
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  check(rc, "tree entry " + path);
  return GitTreeEntry(e);
}

std::string entry_type(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_TREE:
      return "dir";
    case GIT_FILEMODE_LINK:
      return "symlink";
    case GIT_FILEMODE_COMMIT:
      return "submodule";
    default:
      return "file";
  }
}

uint64_t object_size(git_repository* repo, const git_oid* id) {
  git_odb* raw = nullptr;
  check(git_repository_odb(&raw, repo), "object database");
  GitOdb odb(raw);
  std::size_t size = 0;
  git_object_t type;
  if (git_odb_read_header(&size, &type, odb.get(), id) < 0) return 0;
  return size;
}

}  // namespace

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

bool looks_like_text(std::string_view content) {
  return content.substr(0, 8000).find('\0') == std::string_view::npos;
}

void GitRepo::create_bare(const fs::path& git_dir, const std::string& default_branch) {
  ensure_libgit2();
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags =
      GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  std::string head = default_branch;
  opts.initial_head = head.c_str();
  git_repository* repo = nullptr;
  check(git_repository_init_ext(&repo, git_dir.c_str(), &opts),
        "create repository " + git_dir.string());
  git_repository_free(repo);
}

GitRepo::GitRepo(const fs::path& git_dir) {
  ensure_libgit2();
  check(git_repository_open_ext(&repo_, git_dir.c_str(),
                                GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr),
        "open repository " + git_dir.string());
}

GitRepo::~GitRepo() {
  git_repository_free(repo_);
}

std::string GitRepo::head_branch() const {
  git_reference* raw = nullptr;
  check(git_reference_lookup(&raw, repo_, "HEAD"), "HEAD");
  GitReference head(raw);
  const char* target = git_reference_symbolic_target(head.get());
  std::string name = target ? target : "refs/heads/main";
  if (name.rfind("refs/heads/", 0) == 0) name = name.substr(11);
  return name;
}

void GitRepo::set_head_branch(const std::string& branch) {
  check(git_repository_set_head(repo_, ("refs/heads/" + branch).c_str()), "set HEAD");
}

std::vector<std::pair<std::string, std::string>> GitRepo::branches() const {
  git_branch_iterator* raw = nullptr;
  check(git_branch_iterator_new(&raw, repo_, GIT_BRANCH_LOCAL), "list branches");
  GitBranchIterator it(raw);
  std::vector<std::pair<std::string, std::string>> out;
  git_reference* ref = nullptr;
  git_branch_t type;
  while (git_branch_next(&ref, &type, it.get()) == 0) {
    GitReference owned(ref);
    const char* name = nullptr;
    if (git_branch_name(&name, owned.get()) != 0) continue;
    git_reference* resolved = nullptr;
    if (git_reference_resolve(&resolved, owned.get()) != 0) continue;
    GitReference r(resolved);
    out.emplace_back(name, hex(*git_reference_target(r.get())));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> GitRepo::branch_sha(const std::string& branch) const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_, ("refs/heads/" + branch).c_str()) != 0)
    return std::nullopt;
  return hex(oid);
}

std::optional<std::string> GitRepo::resolve_commit(const std::string& rev) const {
  if (rev.empty() || rev.front() == '-' || rev.find("..") != std::string::npos) return std::nullopt;
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo_, rev.c_str()) != 0) return std::nullopt;
  GitObject obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  GitObject c(peeled);
  return hex(*git_object_id(c.get()));
}

GitCommitInfo GitRepo::commit(const std::string& sha) const {
  return info_of(lookup_commit(repo_, sha).get());
}

std::vector<GitCommitInfo> GitRepo::log(
    const std::string& from, const std::string& hide, const std::string& path, std::size_t skip,
    std::size_t limit, const std::function<bool(const GitCommitInfo&)>& keep) const {
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo_), "revwalk");
  GitRevwalk walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  auto from_oid = oid_of(from);
  check(git_revwalk_push(walk.get(), &from_oid), "walk from " + from);
  if (!hide.empty()) {
    auto hide_oid = oid_of(hide);
    check(git_revwalk_hide(walk.get(), &hide_oid), "walk hiding " + hide);
  }
  std::string filter = path.empty() ? "" : clean_path(path, true);
  std::vector<GitCommitInfo> out;
  git_oid oid;
  while (out.size() < limit && git_revwalk_next(&oid, walk.get()) == 0) {
    GitCommit c = lookup_commit(repo_, hex(oid));
    if (!filter.empty()) {
      auto tree = commit_tree(c.get());
      auto here = entry_at(tree.get(), filter);
      std::optional<GitTreeEntry> before;
      if (git_commit_parentcount(c.get()) > 0) {
        git_commit* parent = nullptr;
        check(git_commit_parent(&parent, c.get(), 0), "parent of " + hex(oid));
        GitCommit p(parent);
        auto ptree = commit_tree(p.get());
        before = entry_at(ptree.get(), filter);
      }
      bool changed = here.has_value() != before.has_value() ||
                     (here && git_oid_cmp(git_tree_entry_id(here->get()),
                                          git_tree_entry_id(before->get())) != 0);
      if (!changed) continue;
    }
    auto info = info_of(c.get());
    if (keep && !keep(info)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    out.push_back(std::move(info));
  }
  return out;
}

GitPathContent GitRepo::read(const std::string& commit_sha, const std::string& path) const {
  auto clean = clean_path(path, true);
  auto root = tree_of(repo_, commit_sha);
  GitTree sub;
  git_tree* dir = root.get();
  if (!clean.empty()) {
    auto entry = entry_at(root.get(), clean);
    if (!entry) return std::monostate{};
    auto mode = git_tree_entry_filemode(entry->get());
    if (mode != GIT_FILEMODE_TREE) {
      if (mode == GIT_FILEMODE_COMMIT) return std::monostate{};
      git_blob* raw = nullptr;
      check(git_blob_lookup(&raw, repo_, git_tree_entry_id(entry->get())), "blob " + clean);
      GitBlob blob(raw);
      GitFile f;
      f.path = clean;
      f.sha = hex(*git_tree_entry_id(entry->get()));
      f.content.assign(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       static_cast<std::size_t>(git_blob_rawsize(blob.get())));
      f.symlink = mode == GIT_FILEMODE_LINK;
      f.executable = mode == GIT_FILEMODE_BLOB_EXECUTABLE;
      return f;
    }
    git_tree* raw = nullptr;
    check(git_tree_lookup(&raw, repo_, git_tree_entry_id(entry->get())), "tree " + clean);
    sub.reset(raw);
    dir = raw;
  }
  std::vector<GitEntry> entries;
  for (std::size_t i = 0; i < git_tree_entrycount(dir); ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(dir, i);
    GitEntry g;
    g.name = git_tree_entry_name(e);
    g.path = clean.empty() ? g.name : clean + "/" + g.name;
    g.type = entry_type(git_tree_entry_filemode(e));
    g.sha = hex(*git_tree_entry_id(e));
    if (g.type == "file" || g.type == "symlink") g.size = object_size(repo_, git_tree_entry_id(e));
    entries.push_back(std::move(g));
  }
  return entries;
}

std::string GitRepo::commit_changes(const std::string& parent, const std::vector<FileWrite>& writes,
                                    const std::string& message, const Identity& author) {
  GitTree base;
  if (!parent.empty()) {
    base = tree_of(repo_, parent);
  } else {
    git_treebuilder* raw = nullptr;
    check(git_treebuilder_new(&raw, repo_, nullptr), "tree builder");
    GitTreeBuilder empty(raw);
    git_oid empty_id;
    check(git_treebuilder_write(&empty_id, empty.get()), "empty tree");
    git_tree* t = nullptr;
    check(git_tree_lookup(&t, repo_, &empty_id), "empty tree");
    base.reset(t);
  }
  // The last write of a path wins; libgit2 wants each path once.
  std::map<std::string, const FileWrite*> by_path;
  for (const auto& w : writes)
    by_path[clean_path(w.path, false)] = &w;
  std::vector<git_tree_update> updates;
  std::vector<std::string> paths;
  paths.reserve(by_path.size());
  for (const auto& [path, w] : by_path) {
    paths.push_back(path);
    git_tree_update u{};
    u.path = paths.back().c_str();
    auto existing = entry_at(base.get(), path);
    if (!w->content) {
      if (!existing) throw std::invalid_argument("cannot delete '" + path + "': no such file");
      u.action = GIT_TREE_UPDATE_REMOVE;
    } else {
      u.action = GIT_TREE_UPDATE_UPSERT;
      check(git_blob_create_from_buffer(&u.id, repo_, w->content->data(), w->content->size()),
            "write blob " + path);
      u.filemode = GIT_FILEMODE_BLOB;
      if (existing) {
        auto mode = git_tree_entry_filemode(existing->get());
        if (mode == GIT_FILEMODE_TREE)
          throw std::invalid_argument("path " + path + " is a directory, not a file");
        if (mode == GIT_FILEMODE_BLOB_EXECUTABLE || mode == GIT_FILEMODE_LINK) u.filemode = mode;
      }
    }
    updates.push_back(u);
  }
  git_oid tree_id;
  check(git_tree_create_updated(&tree_id, repo_, base.get(), updates.size(), updates.data()),
        "update tree");
  std::vector<std::string> parents;
  if (!parent.empty()) parents.push_back(parent);
  return create_commit(hex(tree_id), parents, message, author);
}

std::string GitRepo::create_commit(const std::string& tree, const std::vector<std::string>& parents,
                                   const std::string& message, const Identity& committer,
                                   const GitCommitInfo* author_of) {
  git_signature* raw = nullptr;
  check(git_signature_now(&raw, committer.name.c_str(), committer.email.c_str()), "signature");
  GitSignature commit_sig(raw);
  GitSignature author_sig;
  if (author_of) {
    // Keep the original author and date (rebase merges).
    GitCommit original = lookup_commit(repo_, author_of->sha);
    git_signature* dup = nullptr;
    check(git_signature_dup(&dup, git_commit_author(original.get())), "author");
    author_sig.reset(dup);
  }
  git_tree* t = nullptr;
  auto tree_id = oid_of(tree);
  check(git_tree_lookup(&t, repo_, &tree_id), "tree " + tree);
  GitTree owned_tree(t);
  std::vector<GitCommit> owned;
  std::vector<const git_commit*> ptrs;
  for (const auto& p : parents) {
    owned.push_back(lookup_commit(repo_, p));
    ptrs.push_back(owned.back().get());
  }
  std::string text = message;
  if (text.empty() || text.back() != '\n') text += '\n';
  git_oid out;
  check(git_commit_create(&out, repo_, nullptr, author_sig ? author_sig.get() : commit_sig.get(),
                          commit_sig.get(), nullptr, text.c_str(), owned_tree.get(), ptrs.size(),
                          ptrs.data()),
        "create commit");
  return hex(out);
}

bool GitRepo::update_branch(const std::string& branch, const std::string& new_sha,
                            const std::string& expected_old, const std::string& log_message) {
  if (git_reference_is_valid_name(("refs/heads/" + branch).c_str()) != 1)
    throw std::invalid_argument("'" + branch + "' is not a valid branch name");
  auto target = oid_of(new_sha);
  git_reference* raw = nullptr;
  std::string name = "refs/heads/" + branch;
  int rc;
  if (expected_old.empty()) {
    rc = git_reference_create(&raw, repo_, name.c_str(), &target, 0, log_message.c_str());
  } else {
    auto old = oid_of(expected_old);
    rc = git_reference_create_matching(&raw, repo_, name.c_str(), &target, 1, &old,
                                       log_message.c_str());
  }
  git_reference_free(raw);
  if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED || rc == GIT_ENOTFOUND)
    return false;
  check(rc, "update branch " + branch);
  return true;
}

std::string GitRepo::merge_base(const std::string& a, const std::string& b) const {
  git_oid out;
  auto x = oid_of(a), y = oid_of(b);
  int rc = git_merge_base(&out, repo_, &x, &y);
  if (rc == GIT_ENOTFOUND) return {};
  check(rc, "merge base of " + a + " and " + b);
  return hex(out);
}

std::optional<std::string> GitRepo::merge_trees(const std::string& ours,
                                                const std::string& theirs) const {
  auto a = lookup_commit(repo_, ours), b = lookup_commit(repo_, theirs);
  git_index* raw = nullptr;
  check(git_merge_commits(&raw, repo_, a.get(), b.get(), nullptr), "merge");
  GitIndex index(raw);
  if (git_index_has_conflicts(index.get())) return std::nullopt;
  git_oid tree;
  check(git_index_write_tree_to(&tree, index.get(), repo_), "write merged tree");
  return hex(tree);
}

std::optional<std::string> GitRepo::cherry_pick(const std::string& pick,
                                                const std::string& onto) const {
  auto p = lookup_commit(repo_, pick), o = lookup_commit(repo_, onto);
  git_index* raw = nullptr;
  check(git_cherrypick_commit(&raw, repo_, p.get(), o.get(), 0, nullptr), "cherry-pick " + pick);
  GitIndex index(raw);
  if (git_index_has_conflicts(index.get())) return std::nullopt;
  git_oid tree;
  check(git_index_write_tree_to(&tree, index.get(), repo_), "write picked tree");
  return hex(tree);
}

namespace {

GitDiff tree_diff(git_repository* repo, const std::string& from, const std::string& to) {
  GitTree old_tree;
  if (!from.empty()) old_tree = tree_of(repo, from);
  GitTree new_tree = tree_of(repo, to);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, old_tree.get(), new_tree.get(), &opts), "diff");
  GitDiff diff(raw);
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  check(git_diff_find_similar(diff.get(), &find), "find renames");
  return diff;
}

std::string status_name(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED:
      return "added";
    case GIT_DELTA_DELETED:
      return "removed";
    case GIT_DELTA_RENAMED:
      return "renamed";
    case GIT_DELTA_COPIED:
      return "copied";
    case GIT_DELTA_TYPECHANGE:
      return "changed";
    default:
      return "modified";
  }
}

}  // namespace

std::vector<FileChange> GitRepo::diff(const std::string& from, const std::string& to,
                                      bool with_patches) const {
  GitDiff d = tree_diff(repo_, from, to);
  std::vector<FileChange> out;
  for (std::size_t i = 0; i < git_diff_num_deltas(d.get()); ++i) {
    git_patch* raw = nullptr;
    check(git_patch_from_diff(&raw, d.get(), i), "patch");
    GitPatch patch(raw);
    const git_diff_delta* delta = git_diff_get_delta(d.get(), i);
    FileChange f;
    f.status = status_name(delta->status);
    bool removed = delta->status == GIT_DELTA_DELETED;
    f.filename = removed ? delta->old_file.path : delta->new_file.path;
    if (delta->status == GIT_DELTA_RENAMED) f.previous_filename = delta->old_file.path;
    if (!removed) f.sha = hex(delta->new_file.id);
    f.binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
    if (patch) {
      std::size_t context = 0, adds = 0, dels = 0;
      check(git_patch_line_stats(&context, &adds, &dels, patch.get()), "line stats");
      f.additions = static_cast<int>(adds);
      f.deletions = static_cast<int>(dels);
      if (with_patches && !f.binary) {
        GitBuf buf;
        check(git_patch_to_buf(&buf.buf, patch.get()), "patch text");
        std::string text = buf.str();
        auto hunk = text.rfind("@@", 0) == 0 ? 0 : text.find("\n@@");
        f.patch = hunk == std::string::npos ? "" : text.substr(hunk == 0 ? 0 : hunk + 1);
        if (!f.patch.empty() && f.patch.back() == '\n') f.patch.pop_back();
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string GitRepo::diff_text(const std::string& from, const std::string& to) const {
  GitDiff d = tree_diff(repo_, from, to);
  GitBuf buf;
  check(git_diff_to_buf(&buf.buf, d.get(), GIT_DIFF_FORMAT_PATCH), "diff text");
  return buf.str();
}

namespace {

struct WalkState {
  git_repository* repo;
  std::size_t max_bytes;
  const std::function<void(const std::string&, const std::string&, std::string_view)>* visit;
};

int walk_file(const char* root, const git_tree_entry* entry, void* payload) {
  auto* st = static_cast<WalkState*>(payload);
  auto mode = git_tree_entry_filemode(entry);
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) return 0;
  if (object_size(st->repo, git_tree_entry_id(entry)) > st->max_bytes) return 0;
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, st->repo, git_tree_entry_id(entry)) != 0) return 0;
  GitBlob blob(raw);
  std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                           static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  if (!looks_like_text(content)) return 0;
  (*st->visit)(std::string(root) + git_tree_entry_name(entry), hex(*git_tree_entry_id(entry)),
               content);
  return 0;
}

// A tree of the directory's files (".git" skipped); nullopt when it holds no file.
std::optional<git_oid> tree_from_directory(git_repository* repo, const fs::path& dir) {
  git_treebuilder* raw = nullptr;
  check(git_treebuilder_new(&raw, repo, nullptr), "tree builder");
  GitTreeBuilder builder(raw);
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name == ".git") continue;
    git_oid id;
    git_filemode_t mode;
    auto status = entry.symlink_status();
    if (fs::is_symlink(status)) {
      auto target = fs::read_symlink(entry.path()).string();
      check(git_blob_create_from_buffer(&id, repo, target.data(), target.size()),
            "blob for " + entry.path().string());
      mode = GIT_FILEMODE_LINK;
    } else if (fs::is_directory(status)) {
      auto sub = tree_from_directory(repo, entry.path());
      if (!sub) continue;
      id = *sub;
      mode = GIT_FILEMODE_TREE;
    } else if (fs::is_regular_file(status)) {
      check(git_blob_create_from_disk(&id, repo, entry.path().c_str()),
            "blob for " + entry.path().string());
      bool exec = (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
      mode = exec ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
    } else {
      continue;  // sockets, fifos, devices
    }
    check(git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &id, mode),
          "add " + entry.path().string());
    ++count;
  }
  if (count == 0) return std::nullopt;
  git_oid out;
  check(git_treebuilder_write(&out, builder.get()), "write tree for " + dir.string());
  return out;
}

}  // namespace

void GitRepo::for_each_text_file(const std::string& commit_sha, std::size_t max_bytes,
                                 const std::function<void(const std::string&, const std::string&,
                                                          std::string_view)>& visit) const {
  auto tree = tree_of(repo_, commit_sha);
  WalkState st{repo_, max_bytes, &visit};
  check(git_tree_walk(tree.get(), GIT_TREEWALK_PRE, walk_file, &st), "walk tree");
}

void GitRepo::import_directory(const fs::path& source, const std::string& branch,
                               const Identity& author) {
  if (!fs::is_directory(source))
    throw std::invalid_argument("--from " + source.string() + " is not a directory");
  git_repository* raw_src = nullptr;
  if (git_repository_open_ext(&raw_src, source.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) ==
      0) {
    GitRepository src(raw_src);
    std::string src_head;
    git_reference* head = nullptr;
    if (git_reference_lookup(&head, src.get(), "HEAD") == 0) {
      GitReference h(head);
      const char* target = git_reference_symbolic_target(h.get());
      if (target && std::string_view(target).rfind("refs/heads/", 0) == 0)
        src_head = std::string(target).substr(11);
    }
    git_remote* remote_raw = nullptr;
    auto url = fs::absolute(source).string();
    check(git_remote_create_anonymous(&remote_raw, repo_, url.c_str()), "remote " + url);
    GitRemote remote(remote_raw);
    const char* specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
    git_strarray refspecs{const_cast<char**>(specs), 2};
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    check(git_remote_fetch(remote.get(), &refspecs, &opts, "import"), "import from " + url);
    auto have = branches();
    auto has = [&](const std::string& b) {
      return std::any_of(have.begin(), have.end(), [&](const auto& p) { return p.first == b; });
    };
    if (!src_head.empty() && has(src_head))
      set_head_branch(src_head);
    else if (!has(branch) && !have.empty())
      set_head_branch(have.front().first);
    return;
  }
  auto tree = tree_from_directory(repo_, source);
  if (!tree) return;  // an empty directory: an empty repository
  auto commit = create_commit(hex(*tree), {}, "Initial commit", author);
  if (!update_branch(branch, commit, "", "import"))
    throw GitError("branch " + branch + " already exists");
  set_head_branch(branch);
}

}  // namespace cove::forge
