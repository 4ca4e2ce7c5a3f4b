// RAII owners for libgit2 objects: one unique_ptr alias per type, each freed with its own
// git_*_free, and a git_buf owner. The one set of libgit2 wrappers of the tree (mounts/ and
// the forge use it). Not thread-safe beyond what libgit2 promises for the object itself.
#pragma once

#include <git2.h>

#include <memory>
#include <string>

namespace cove::mounts {

// One unique_ptr alias per libgit2 type, each freed with its own git_*_free.
template <auto Free>
struct GitDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using GitRepository = std::unique_ptr<git_repository, GitDeleter<git_repository_free>>;
using GitRemote = std::unique_ptr<git_remote, GitDeleter<git_remote_free>>;
using GitReference = std::unique_ptr<git_reference, GitDeleter<git_reference_free>>;
using GitObject = std::unique_ptr<git_object, GitDeleter<git_object_free>>;
using GitCommit = std::unique_ptr<git_commit, GitDeleter<git_commit_free>>;
using GitTree = std::unique_ptr<git_tree, GitDeleter<git_tree_free>>;
using GitIndex = std::unique_ptr<git_index, GitDeleter<git_index_free>>;
using GitConfig = std::unique_ptr<git_config, GitDeleter<git_config_free>>;
using GitDiff = std::unique_ptr<git_diff, GitDeleter<git_diff_free>>;
using GitOdb = std::unique_ptr<git_odb, GitDeleter<git_odb_free>>;
using GitRefIterator =
    std::unique_ptr<git_reference_iterator, GitDeleter<git_reference_iterator_free>>;
using GitTreeEntry = std::unique_ptr<git_tree_entry, GitDeleter<git_tree_entry_free>>;
using GitBlob = std::unique_ptr<git_blob, GitDeleter<git_blob_free>>;
using GitBranchIterator =
    std::unique_ptr<git_branch_iterator, GitDeleter<git_branch_iterator_free>>;
using GitRevwalk = std::unique_ptr<git_revwalk, GitDeleter<git_revwalk_free>>;
using GitPatch = std::unique_ptr<git_patch, GitDeleter<git_patch_free>>;
using GitSignature = std::unique_ptr<git_signature, GitDeleter<git_signature_free>>;
using GitTreeBuilder = std::unique_ptr<git_treebuilder, GitDeleter<git_treebuilder_free>>;

// A git_buf filled by libgit2 and disposed of with git_buf_dispose.
struct GitBuf {
  git_buf buf = GIT_BUF_INIT;
  GitBuf() = default;
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;
  ~GitBuf() { git_buf_dispose(&buf); }
  std::string str() const { return buf.ptr ? std::string(buf.ptr, buf.size) : std::string(); }
};

}  // namespace cove::mounts
