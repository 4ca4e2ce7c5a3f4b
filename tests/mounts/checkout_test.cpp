// Integration tests of RepoCache with real git repositories over file:// and a local
// smart-HTTP server. Need root (overlayfs mounts, chown to the sandbox uid).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "git_fixture.hpp"
#include "mounts/repo_cache.hpp"

// RepoSpec{.url = ..., .token = ...} reads best here; its other fields have defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cove::mounts {
namespace {

using namespace cove::mounts::testing;
namespace fs = std::filesystem;

constexpr Owner kOwner{1001000, 1001000};

// As the sandbox user would run it (root would leave root-owned files in the layer).
std::string as_owner(const std::string& cmd) {
  return "setpriv --reuid=" + std::to_string(kOwner.uid) +
         " --regid=" + std::to_string(kOwner.gid) + " --clear-groups env HOME=/nonexistent " + cmd;
}

std::string git(const fs::path& dir, const std::string& args) {
  return sh(as_owner("git -C " + quote(dir.string()) + " " + args));
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

class MountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (overlayfs, chown)";
    setup_git_environment();
    fs::permissions(tmp_.path(), fs::perms(0755));  // the checkout owner must reach the mirror
    src_ = tmp_.path() / "src";
    make_source_repo(src_);
    cache_ = make_cache();
  }
  void TearDown() override {
    if (!cache_) return;
    for (const auto& id : sessions_)
      cache_->release(id);
    cache_->wait_background();
  }

  std::unique_ptr<RepoCache> make_cache(std::chrono::seconds ttl = std::chrono::seconds(60)) {
    RepoCacheOptions o;
    o.root = tmp_.path() / "home/repos";
    o.fetch_ttl = ttl;
    o.network_timeout = std::chrono::seconds(3);
    return std::make_unique<RepoCache>(o);
  }

  SessionCheckout checkout(RepoSpec spec, const std::string& id, RepoCache* cache = nullptr) {
    CheckoutRequest r;
    r.session_id = id;
    r.repo = std::move(spec);
    r.mount_path = "/workspace/repo";
    r.owner = kOwner;
    sessions_.push_back(id);
    return (cache ? cache : cache_.get())->checkout(r);
  }

  std::string file_url() const { return "file://" + src_.string(); }

  // What the git CLI must agree with for any checkout.
  void expect_good_checkout(const SessionCheckout& co, const fs::path& source,
                            const std::string& rev) {
    const auto& dir = co.host_dir;
    EXPECT_EQ(git(dir, "status --porcelain"), "");
    EXPECT_EQ(sh_status(as_owner("git -C " + quote(dir.string()) + " fsck --no-progress")), 0);
    EXPECT_EQ(git(dir, "log --format=%H HEAD"), git(source, "log --format=%H " + rev));
    EXPECT_EQ(trim(git(dir, "rev-parse HEAD")), rev_parse(source, rev));
    struct stat st;
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kOwner.uid);
    EXPECT_EQ(st.st_gid, kOwner.gid);
    ASSERT_EQ(::lstat((dir / "README.md").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kOwner.uid);
    ASSERT_EQ(::lstat((dir / ".git/index").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kOwner.uid);
    ASSERT_EQ(::lstat((dir / "run.sh").c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR);
    EXPECT_TRUE(fs::is_symlink(dir / "link"));
    EXPECT_EQ(fs::read_symlink(dir / "link"), "README.md");
    EXPECT_EQ(sh("cmp " + quote((dir / "blob.bin").string()) + " " +
                 quote((source / "blob.bin").string()) + " && echo same"),
              "same\n");
    if (!git(source, "ls-tree " + rev + " vendor/sub").empty()) {
      EXPECT_EQ(git(dir, "ls-files -s vendor/sub").substr(0, 7), "160000 ");
    }
    EXPECT_EQ(trim(git(dir, "config --get remote.origin.url")), co.url);
    ASSERT_EQ(co.plan.entries.size(), 2u);
    EXPECT_EQ(co.plan.entries[0].source, dir);
    EXPECT_EQ(co.plan.entries[0].target, "/workspace/repo");
    EXPECT_FALSE(co.plan.entries[0].read_only);
    EXPECT_TRUE(co.plan.entries[1].read_only);
    EXPECT_EQ(co.plan.entries[1].source.string(), co.plan.entries[1].target);
  }

  TempDir tmp_{"cove-mounts"};
  fs::path src_;
  std::unique_ptr<RepoCache> cache_;
  std::vector<std::string> sessions_;
};

TEST_F(MountsTest, DefaultBranchCheckoutIsACleanRepositoryWithHistory) {
  auto co = checkout({.url = file_url()}, "s1");
  EXPECT_TRUE(co.built_prepared_tree);
  EXPECT_EQ(co.branch, "main");
  expect_good_checkout(co, src_, "main");
  EXPECT_EQ(trim(git(co.host_dir, "symbolic-ref HEAD")), "refs/heads/main");
  EXPECT_EQ(trim(git(co.host_dir, "rev-parse v1-annotated^{commit}")),
            rev_parse(src_, "v1-annotated^{commit}"));
  EXPECT_EQ(trim(git(co.host_dir, "rev-parse origin/feature")), rev_parse(src_, "feature"));
  EXPECT_EQ(trim(git(co.host_dir, "rev-parse --abbrev-ref main@{upstream}")), "origin/main");
}

TEST_F(MountsTest, BranchAndCommitCheckouts) {
  auto feature = checkout({.url = file_url(), .branch = "feature"}, "s1");
  expect_good_checkout(feature, src_, "feature");
  EXPECT_EQ(trim(git(feature.host_dir, "symbolic-ref HEAD")), "refs/heads/feature");
  EXPECT_TRUE(fs::exists(feature.host_dir / "feature.txt"));

  auto sha = rev_parse(src_, "main~2");
  auto detached = checkout({.url = file_url(), .commit = sha}, "s2");
  expect_good_checkout(detached, src_, sha);
  EXPECT_NE(sh_status("git -C " + quote(detached.host_dir.string()) + " symbolic-ref -q HEAD"), 0);
  EXPECT_EQ(detached.branch, "");
}

TEST_F(MountsTest, SecondSessionReusesMirrorAndPreparedTree) {
  auto first = checkout({.url = file_url()}, "s1");
  EXPECT_TRUE(first.built_prepared_tree);
  auto second = checkout({.url = file_url()}, "s2");
  EXPECT_FALSE(second.built_prepared_tree);
  EXPECT_FALSE(second.updated_in_layer);
  expect_good_checkout(second, src_, "main");
  // The session layer holds only what the session wrote: HEAD, the branch ref, config.
  auto layer_bytes = sh("du -sb " + quote((second.layer_dir / "upper").string()) + " | cut -f1");
  EXPECT_LT(std::stoul(layer_bytes), 64u * 1024);
}

TEST_F(MountsTest, EditsAndCommitsStayInTheSessionLayer) {
  auto a = checkout({.url = file_url()}, "a");
  auto b = checkout({.url = file_url()}, "b");
  auto dir = quote(a.host_dir.string());
  sh(as_owner("sh -c 'echo edited >> " + a.host_dir.string() + "/README.md'"));
  sh(as_owner("git -C " + dir + " checkout -q -b work"));
  sh(as_owner("git -C " + dir + " commit -q -am edit"));
  sh(as_owner("git -C " + dir + " fsck --no-progress"));
  EXPECT_EQ(git(a.host_dir, "status --porcelain"), "");
  EXPECT_EQ(git(b.host_dir, "status --porcelain"), "");
  EXPECT_EQ(trim(git(b.host_dir, "rev-parse HEAD")), rev_parse(src_, "main"));
  EXPECT_NE(sh_status("git -C " + quote(b.host_dir.string()) + " rev-parse -q --verify work"), 0);
  // Push the session's branch back to the source repository.
  sh("git -C " + dir + " push -q origin work");
  EXPECT_EQ(rev_parse(src_, "work"), trim(git(a.host_dir, "rev-parse HEAD")));

  auto layer = a.layer_dir;
  cache_->release("a");
  EXPECT_FALSE(fs::exists(layer));
  EXPECT_EQ(git(b.host_dir, "status --porcelain"), "");  // the shared tree is untouched
  auto c = checkout({.url = file_url()}, "c");
  expect_good_checkout(c, src_, "main");
}

TEST_F(MountsTest, MovedBranchTipUpdatesInTheLayerThenGetsItsOwnTree) {
  checkout({.url = file_url()}, "s1");
  auto moved = add_commit(src_, "main", 3);
  auto co = checkout({.url = file_url(), .update = UpdatePolicy::always}, "s2");
  EXPECT_TRUE(co.updated_in_layer);
  EXPECT_FALSE(co.built_prepared_tree);
  EXPECT_EQ(co.commit, moved);
  expect_good_checkout(co, src_, "main");
  EXPECT_EQ(trim(git(co.host_dir, "rev-parse origin/main")), moved);
  EXPECT_EQ(trim(git(co.host_dir, "symbolic-ref HEAD")), "refs/heads/main");
  cache_->wait_background();
  auto next = checkout({.url = file_url()}, "s3");
  EXPECT_FALSE(next.updated_in_layer);
  EXPECT_FALSE(next.built_prepared_tree);
  expect_good_checkout(next, src_, "main");
}

// The plan is all a sandbox needs: with the whole cache hidden except the plan's entries,
// the checkout is still a complete repository for its owner.
TEST_F(MountsTest, MountPlanAloneIsEnoughInsideAMountNamespace) {
  auto co = checkout({.url = file_url(), .branch = "feature"}, "s1");
  ASSERT_EQ(co.plan.entries.size(), 2u);
  auto ws = tmp_.path() / "sandbox-ws";
  auto objects = co.plan.entries[1];
  fs::create_directories(ws);
  auto script =
      "set -e; mount --make-rprivate /;"
      "mkdir -p " +
      quote((tmp_.path() / "objs").string()) +
      ";"
      "mount --bind " +
      quote(co.plan.entries[0].source.string()) + " " + quote(ws.string()) +
      ";"
      "mount --bind " +
      quote(objects.source.string()) + " " + quote((tmp_.path() / "objs").string()) +
      ";"
      "mount -t tmpfs hidden " +
      quote((tmp_.path() / "home").string()) +
      ";"
      "mkdir -p " +
      quote(objects.target) +
      ";"
      "mount --move " +
      quote((tmp_.path() / "objs").string()) + " " + quote(objects.target) +
      ";"
      "mount -o remount,bind,ro " +
      quote(objects.target) +
      ";"
      "test ! -e " +
      quote((tmp_.path() / "home/repos/trees").string()) + ";" +
      as_owner("git -C " + quote(ws.string()) + " status --porcelain") + ";" +
      as_owner("git -C " + quote(ws.string()) + " fsck --no-progress") + ";" +
      as_owner("git -C " + quote(ws.string()) + " log --format=%H HEAD") + ";" +
      as_owner("sh -c 'echo x > " + (ws / "new.txt").string() + "'") + ";" +
      as_owner("git -C " + quote(ws.string()) + " add new.txt") + ";" +
      as_owner("git -C " + quote(ws.string()) + " commit -q -m inside") + ";" + "if " +
      as_owner("touch " + quote(objects.target + "/probe")) +
      " 2>/dev/null; then echo objects-writable; exit 1; fi";
  std::string output;
  int status = sh_status("unshare --mount sh -c " + quote(script), &output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, git(src_, "log --format=%H feature"));
  // The commit made inside is in the session's layer.
  EXPECT_EQ(trim(git(co.host_dir, "log -1 --format=%s")), "inside");
}

TEST_F(MountsTest, FullCheckoutWithoutOverlay) {
  RepoCacheOptions o;
  o.root = tmp_.path() / "home/repos";
  o.overlay = false;
  auto cache = std::make_unique<RepoCache>(o);
  auto co = checkout({.url = file_url(), .branch = "feature"}, "copy1", cache.get());
  EXPECT_TRUE(co.copied);
  expect_good_checkout(co, src_, "feature");
  EXPECT_TRUE(cache->list().at(0).prepared_commits.empty());
  auto sha = rev_parse(src_, "main~1");
  auto detached = checkout({.url = file_url(), .commit = sha}, "copy2", cache.get());
  expect_good_checkout(detached, src_, sha);
  auto dir = co.host_dir;
  cache->release("copy1");
  cache->release("copy2");
  EXPECT_FALSE(fs::exists(dir / "README.md"));
}

TEST_F(MountsTest, LargeDiffBuildsAFreshTreeInsteadOfUpdatingTheLayer) {
  RepoCacheOptions o;
  o.root = tmp_.path() / "home/repos";
  o.max_layer_update_files = 3;
  auto cache = std::make_unique<RepoCache>(o);
  checkout({.url = file_url()}, "s1", cache.get());
  add_commit(src_, "main", 10);
  auto co = checkout({.url = file_url(), .update = UpdatePolicy::always}, "s2", cache.get());
  EXPECT_FALSE(co.updated_in_layer);
  EXPECT_TRUE(co.built_prepared_tree);
  expect_good_checkout(co, src_, "main");
  cache->release("s1");
  cache->release("s2");
}

TEST_F(MountsTest, LeaseOfAnUnmountedCheckoutPinsNothing) {
  auto co = checkout({.url = file_url()}, "crashed");
  sh("umount " + quote(co.host_dir.string()));  // as after a reboot
  ASSERT_EQ(cache_->list().at(0).live_sessions, 0);
  cache_->gc(0);
  EXPECT_TRUE(cache_->list().empty());
  cache_->release("crashed");
  EXPECT_FALSE(fs::exists(co.layer_dir));
}

TEST_F(MountsTest, DetachedCheckoutKeepsItsLayerPinsItsTreeAndReattaches) {
  auto co = checkout({.url = file_url()}, "kept");
  auto dir = quote(co.host_dir.string());
  sh(as_owner("git -C " + dir + " checkout -q -b work"));
  sh(as_owner("sh -c 'echo new > " + co.host_dir.string() + "/new.txt'"));
  sh(as_owner("git -C " + dir + " add new.txt"));
  sh(as_owner("git -C " + dir + " commit -q -m new"));
  auto head = trim(git(co.host_dir, "rev-parse HEAD"));

  cache_->detach("kept");
  EXPECT_FALSE(fs::exists(co.host_dir / "README.md"));  // unmounted
  EXPECT_EQ(cache_->list().at(0).live_sessions, 1);     // still pinned
  cache_->gc(0);
  ASSERT_EQ(cache_->list().size(), 1u);

  auto again = cache_->reattach("kept", "/workspace/repo");
  ASSERT_TRUE(again);
  EXPECT_EQ(trim(git(again->host_dir, "rev-parse HEAD")), head);
  EXPECT_EQ(trim(git(again->host_dir, "branch --show-current")), "work");
  EXPECT_EQ(git(again->host_dir, "status --porcelain"), "");
  ASSERT_EQ(again->plan.entries.size(), 2u);
  EXPECT_EQ(again->plan.entries[0].target, "/workspace/repo");
  EXPECT_TRUE(again->plan.entries[1].read_only);
  // Mounted already: used as it is.
  EXPECT_TRUE(cache_->reattach("kept", "/workspace/repo"));
  EXPECT_FALSE(cache_->reattach("never", "/workspace/repo"));
}

TEST_F(MountsTest, ReattachWithoutItsTreeFailsAndReleaseCleansUp) {
  auto co = checkout({.url = file_url()}, "lost");
  cache_->detach("lost");
  fs::remove_all(tmp_.path() / "home/repos/trees");  // as if the disk lost it
  try {
    cache_->reattach("lost", "/workspace/repo");
    FAIL() << "reattached without a tree";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::checkout);
    EXPECT_NE(std::string(e.what()).find("prepared tree under its layer is gone"),
              std::string::npos)
        << e.what();
  }
  cache_->release("lost");
  EXPECT_FALSE(fs::exists(co.layer_dir));
  EXPECT_TRUE(cache_->session_checkouts().empty());
}

TEST_F(MountsTest, GcEvictsTheLeastRecentlyUsedTreeFirst) {
  auto other = tmp_.path() / "other";
  make_source_repo(other);
  auto other_url = "file://" + other.string();
  checkout({.url = file_url()}, "old");
  cache_->release("old");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  checkout({.url = other_url}, "new");
  cache_->release("new");
  std::uint64_t total = 0;
  for (const auto& r : cache_->list())
    total += r.bytes;
  auto report = cache_->gc(total - 1);
  ASSERT_EQ(report.evicted.size(), 1u);
  EXPECT_EQ(report.evicted[0].rfind("tree " + file_url() + " ", 0), 0u) << report.evicted[0];
  for (const auto& r : cache_->list()) {
    EXPECT_EQ(r.prepared_commits.size(), r.url == other_url ? 1u : 0u) << r.url;
  }
}

TEST_F(MountsTest, UpdatePolicies) {
  auto old_tip = rev_parse(src_, "main");
  cache_->fetch({.url = file_url()});
  auto new_tip = add_commit(src_, "main");
  auto never = cache_->fetch({.url = file_url(), .update = UpdatePolicy::never});
  EXPECT_FALSE(never.fetched);
  EXPECT_EQ(never.commit, old_tip);
  auto fresh = cache_->fetch({.url = file_url(), .update = UpdatePolicy::if_stale});
  EXPECT_FALSE(fresh.fetched);  // within the TTL
  auto stale_cache = make_cache(std::chrono::seconds(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto stale = stale_cache->fetch({.url = file_url(), .update = UpdatePolicy::if_stale});
  EXPECT_TRUE(stale.fetched);
  EXPECT_EQ(stale.commit, new_tip);
  // A branch the mirror lacks forces a fetch whatever the policy.
  sh("git -C " + quote(src_.string()) + " branch brand-new main");
  auto forced =
      cache_->fetch({.url = file_url(), .branch = "brand-new", .update = UpdatePolicy::never});
  EXPECT_TRUE(forced.fetched);
  EXPECT_EQ(forced.commit, new_tip);
}

TEST_F(MountsTest, ErrorKindsForMissingThings) {
  try {
    cache_->fetch({.url = "file://" + (tmp_.path() / "nope").string()});
    FAIL() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::not_found) << e.what();
  }
  try {
    checkout({.url = file_url(), .branch = "no-such-branch"}, "s1");
    FAIL() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::checkout) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-branch"), std::string::npos);
  }
  try {
    checkout({.url = file_url(), .commit = std::string(40, 'a')}, "s2");
    FAIL() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::checkout) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp_.path() / "home/repos/sessions/s1"));
}

TEST_F(MountsTest, DamagedMirrorIsReclonedCleanly) {
  auto first = checkout({.url = file_url()}, "s1");
  cache_->release("s1");
  auto repos = cache_->list();
  ASSERT_EQ(repos.size(), 1u);
  auto mirror = tmp_.path() / "home/repos/mirrors" / repos[0].key / "repo.git";
  // Lose every object.
  sh("find " + quote((mirror / "objects").string()) + " -type f -delete");
  auto second = checkout({.url = file_url()}, "s2");
  expect_good_checkout(second, src_, "main");
  cache_->release("s2");
  // A mirror that is not a repository any more.
  fs::remove_all(mirror / "refs");
  std::ofstream(mirror / "HEAD") << "garbage";
  auto third = checkout({.url = file_url(), .branch = "feature"}, "s3");
  expect_good_checkout(third, src_, "feature");
}

TEST_F(MountsTest, RacingSessionsCloneOnce) {
  constexpr int kSessions = 4;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<RepoCache>> caches;
  std::vector<SessionCheckout> results(kSessions);
  std::atomic<int> failures{0};
  for (int i = 0; i < kSessions; ++i)
    caches.push_back(make_cache());
  for (int i = 0; i < kSessions; ++i)
    sessions_.push_back("race" + std::to_string(i));
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      try {
        CheckoutRequest r;
        r.session_id = "race" + std::to_string(i);
        r.repo = {.url = file_url()};
        r.mount_path = "/workspace/repo";
        r.owner = kOwner;
        results[i] = caches[i]->checkout(r);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  ASSERT_EQ(failures, 0);
  int built = 0;
  for (const auto& r : results) {
    built += r.built_prepared_tree;
    expect_good_checkout(r, src_, "main");
  }
  EXPECT_EQ(built, 1);  // single flight: one tree, the others waited and reused it
  EXPECT_EQ(cache_->list().size(), 1u);
}

TEST_F(MountsTest, GcEvictsLeastRecentlyUsedButNeverLiveSessions) {
  auto other = tmp_.path() / "other";
  make_source_repo(other);
  checkout({.url = file_url()}, "keep");
  auto o = checkout({.url = "file://" + other.string()}, "gone");
  cache_->release("gone");
  auto before = cache_->list();
  ASSERT_EQ(before.size(), 2u);
  auto report = cache_->gc(0);
  EXPECT_GT(report.bytes_before, report.bytes_after);
  auto after = cache_->list();
  ASSERT_EQ(after.size(), 1u);  // the repository with a live session stays
  EXPECT_EQ(after[0].url, "file://" + src_.string());
  EXPECT_EQ(after[0].prepared_commits.size(), 1u);
  EXPECT_EQ(after[0].live_sessions, 1);
  cache_->release("keep");
  cache_->gc(0);
  EXPECT_TRUE(cache_->list().empty());
  // And it comes back on demand.
  auto again = checkout({.url = file_url()}, "again");
  EXPECT_TRUE(again.built_prepared_tree);
  expect_good_checkout(again, src_, "main");
}

// ---- over HTTP, with tokens ----

class HttpMountsTest : public MountsTest {
 protected:
  void SetUp() override {
    MountsTest::SetUp();
    if (IsSkipped()) return;
    token_ = "tok_" + std::to_string(::getpid()) + "_c0ve5ecret7e5t";
    auto root = tmp_.path() / "served";
    fs::create_directories(root / "private");
    fs::create_directories(root / "public");
    sh("git clone -q --bare " + quote(src_.string()) + " " +
       quote((root / "private/repo.git").string()));
    sh("git clone -q --bare " + quote(src_.string()) + " " +
       quote((root / "public/repo.git").string()));
    server_ = std::make_unique<GitHttpServer>(root, token_, "tok_forbidden_" + token_.substr(4));
  }
  void TearDown() override {
    MountsTest::TearDown();
    if (!server_) return;
    // No trace of the token anywhere in the cache or the checkouts.
    EXPECT_EQ(files_containing(tmp_.path() / "home", token_), std::vector<std::string>{});
    EXPECT_EQ(files_containing(tmp_.path() / "home", basic_credentials()),
              std::vector<std::string>{});
  }
  // What an Authorization header would carry: base64("x-access-token:" + token).
  std::string basic_credentials() const {
    return sh("printf '%s' " + quote("x-access-token:" + token_) + " | base64 -w0");
  }
  std::string priv() const { return server_->url("/private/repo.git"); }

  std::string token_;
  std::unique_ptr<GitHttpServer> server_;
};

TEST_F(HttpMountsTest, PrivateRepositoryWithToken) {
  auto co = checkout({.url = priv(), .token = token_}, "s1");
  expect_good_checkout(co, src_, "main");
  EXPECT_EQ(co.url, priv());
  EXPECT_EQ(files_containing(co.host_dir, token_), std::vector<std::string>{});

  // The session commits and pushes over HTTP as its own user; git asks an askpass helper
  // that reads the token from the environment (as a credential helper would).
  auto askpass = tmp_.path() / "askpass.sh";
  std::ofstream(askpass) << "#!/bin/sh\ncase \"$1\" in Username*) echo x-access-token ;; "
                            "*) echo \"$PUSH_TOKEN\" ;; esac\n";
  fs::permissions(askpass, fs::perms(0755));
  auto dir = quote(co.host_dir.string());
  sh(as_owner("sh -c 'echo pushed > " + co.host_dir.string() + "/pushed.txt'"));
  sh(as_owner("git -C " + dir + " add pushed.txt"));
  sh(as_owner("git -C " + dir + " commit -q -m pushed"));
  ::setenv("PUSH_TOKEN", token_.c_str(), 1);
  sh(as_owner("env GIT_ASKPASS=" + askpass.string() + " git -C " + dir +
              " push -q origin HEAD:refs/heads/from-session"));
  ::unsetenv("PUSH_TOKEN");
  EXPECT_EQ(rev_parse(tmp_.path() / "served/private/repo.git", "from-session"),
            trim(git(co.host_dir, "rev-parse HEAD")));
  EXPECT_EQ(files_containing(co.host_dir, token_), std::vector<std::string>{});
}

TEST_F(HttpMountsTest, PublicRepositoryAnonymously) {
  auto co = checkout({.url = server_->url("/public/repo.git")}, "s1");
  expect_good_checkout(co, src_, "main");
}

TEST_F(HttpMountsTest, WrongMissingAndForbiddenTokens) {
  auto expect_kind = [&](RepoSpec spec, RepoErrorKind kind) {
    try {
      cache_->fetch(spec);
      ADD_FAILURE() << "expected " << to_string(kind);
    } catch (const RepoError& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_EQ(std::string(e.what()).find(token_), std::string::npos);
    }
  };
  expect_kind({.url = priv(), .token = "tok_wrong"}, RepoErrorKind::authentication);
  expect_kind({.url = priv()}, RepoErrorKind::authentication);
  expect_kind({.url = priv(), .token = "tok_forbidden_" + token_.substr(4)},
              RepoErrorKind::forbidden);
  expect_kind({.url = server_->url("/private/missing.git"), .token = token_},
              RepoErrorKind::not_found);
}

TEST_F(HttpMountsTest, CachedPrivateRepositoryIsCheckedWithEachSessionsToken) {
  checkout({.url = priv(), .token = token_}, "s1");
  for (std::string bad : {"", "tok_wrong"}) {
    try {
      checkout({.url = priv(), .token = bad, .update = UpdatePolicy::never}, "bad");
      ADD_FAILURE() << "a cached private repository was handed to token '" << bad << "'";
    } catch (const RepoError& e) {
      EXPECT_EQ(e.kind(), RepoErrorKind::authentication) << e.what();
    }
  }
  int before = server_->count_requests("POST /private/repo.git/git-upload-pack");
  auto ok = checkout({.url = priv(), .token = token_, .update = UpdatePolicy::never}, "s2");
  expect_good_checkout(ok, src_, "main");
  // The check is a ref advertisement, not a download.
  EXPECT_EQ(server_->count_requests("POST /private/repo.git/git-upload-pack"), before);
}

TEST_F(HttpMountsTest, ServerDyingMidFetchLeavesNoMirror) {
  try {
    cache_->fetch({.url = server_->url("/die/private/repo.git"), .token = token_});
    ADD_FAILURE() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::clone) << e.what();
  }
  EXPECT_TRUE(cache_->list().empty());
  EXPECT_TRUE(fs::is_empty(tmp_.path() / "home/repos/tmp"));
  // The same repository through a healthy path works afterwards.
  expect_good_checkout(checkout({.url = priv(), .token = token_}, "s1"), src_, "main");
}

TEST_F(HttpMountsTest, ServerDyingMidUpdateKeepsTheMirrorUsable) {
  auto first = checkout({.url = priv(), .token = token_}, "s1");
  add_commit(src_, "main", 20);
  sh("git -C " + quote(src_.string()) + " push -q " +
     quote((tmp_.path() / "served/private/repo.git").string()) + " main");
  std::ofstream(tmp_.path() / "served/die-now") << "1";
  try {
    cache_->fetch({.url = priv(), .token = token_, .update = UpdatePolicy::always});
    ADD_FAILURE() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::clone) << e.what();
  }
  // The cached state still serves sessions, and the next fetch completes the update.
  auto cached = checkout({.url = priv(), .token = token_, .update = UpdatePolicy::never}, "s2");
  expect_good_checkout(cached, src_, "main~1");
  fs::remove(tmp_.path() / "served/die-now");
  auto updated = checkout({.url = priv(), .token = token_, .update = UpdatePolicy::always}, "s3");
  expect_good_checkout(updated, src_, "main");
  auto repos = cache_->list();
  ASSERT_EQ(repos.size(), 1u);
  EXPECT_EQ(
      sh_status("git --git-dir=" +
                quote((tmp_.path() / "home/repos/mirrors" / repos[0].key / "repo.git").string()) +
                " fsck --no-progress --no-dangling"),
      0);
}

TEST_F(HttpMountsTest, SilentServerTimesOut) {
  auto start = std::chrono::steady_clock::now();
  try {
    cache_->fetch({.url = server_->url("/hang/private/repo.git"), .token = token_});
    ADD_FAILURE() << "expected an error";
  } catch (const RepoError& e) {
    EXPECT_EQ(e.kind(), RepoErrorKind::clone) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(HttpMountsTest, TokenNeverInProcessArguments) {
  std::atomic<bool> done{false};
  std::vector<int> seen;
  std::jthread scanner([&] {
    while (!done) {
      auto pids = processes_with_argument(token_);
      seen.insert(seen.end(), pids.begin(), pids.end());
    }
  });
  struct Stop {
    std::atomic<bool>& done;
    std::jthread& t;
    ~Stop() {
      done = true;
      if (t.joinable()) t.join();
    }
  } stop{done, scanner};
  auto co = checkout({.url = priv(), .token = token_}, "s1");
  add_commit(src_, "main");
  sh("git -C " + quote(src_.string()) + " push -q " +
     quote((tmp_.path() / "served/private/repo.git").string()) + " main");
  auto info = cache_->fetch({.url = priv(), .token = token_, .update = UpdatePolicy::always});
  EXPECT_TRUE(info.fetched);
  done = true;
  scanner.join();
  EXPECT_TRUE(seen.empty());
  expect_good_checkout(co, src_, "main~1");
}

TEST_F(HttpMountsTest, RacingSessionsOverHttpDownloadOnce) {
  constexpr int kSessions = 3;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<RepoCache>> caches;
  std::atomic<int> fetched{0};
  for (int i = 0; i < kSessions; ++i)
    caches.push_back(make_cache());
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto info = caches[i]->fetch({.url = priv(), .token = token_});
        fetched += info.fetched;
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(fetched, 1);
  EXPECT_EQ(server_->count_requests("POST /private/repo.git/git-upload-pack"), 1);
}

TEST_F(HttpMountsTest, RacingCliProcessesCloneOnceWithoutTokenInArguments) {
  ::setenv("COVE_TEST_REPO_TOKEN", token_.c_str(), 1);
  std::string cmd = std::string(COVE_BIN) + " repo --home " +
                    quote((tmp_.path() / "home").string()) + " fetch " + quote(priv()) +
                    " --token-env COVE_TEST_REPO_TOKEN >/dev/null 2>&1";
  std::atomic<bool> done{false};
  std::vector<int> seen;
  std::jthread scanner([&] {
    while (!done) {
      auto pids = processes_with_argument(token_);
      seen.insert(seen.end(), pids.begin(), pids.end());
    }
  });
  int status = sh_status("pids=; for i in 1 2 3; do " + cmd + " & pids=\"$pids $!\"; done; " +
                         "fail=0; for p in $pids; do wait $p || fail=1; done; exit $fail");
  done = true;
  scanner.join();
  ::unsetenv("COVE_TEST_REPO_TOKEN");
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(server_->count_requests("POST /private/repo.git/git-upload-pack"), 1);
  EXPECT_EQ(cache_->list().size(), 1u);
  auto co = checkout({.url = priv(), .token = token_}, "s1");
  expect_good_checkout(co, src_, "main");
}

}  // namespace
}  // namespace cove::mounts
