// The directories the runtime makes in a session's workspace (the sandbox's /workspace) for
// the sandbox user, and each session's host id range. The workspace is the agent's: a link
// planted there must never make the runtime (root) create, chown or write anything outside.
#include "runtime/sessions/owned_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "runtime/sessions/id_slot.hpp"
#include "tests/support/temp_dir.hpp"

namespace cove::sessions {
namespace {

namespace fs = std::filesystem;

class OwnedDir : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ / "workspace");
    // Owned by whoever runs the test (root in CI), private, empty: what an agent would like
    // to get hold of.
    fs::create_directories(root_ / "victim");
    ::chmod((root_ / "victim").c_str(), 0700);
    ASSERT_EQ(::stat((root_ / "victim").c_str(), &victim_before_), 0);
    workspace_.reset(::open((root_ / "workspace").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(workspace_);
  }

  void expect_victim_untouched() {
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "victim").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, victim_before_.st_uid);
    EXPECT_EQ(st.st_gid, victim_before_.st_gid);
    EXPECT_EQ(st.st_mode, victim_before_.st_mode);
    EXPECT_TRUE(fs::is_empty(root_ / "victim"));
  }
  std::string refused(const std::string& rel) {
    try {
      make_owned_dir(workspace_.get(), rel, uid_, gid_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "not refused";
  }

  cove::test::TempDir tmp_{"cove-owned-dir"};
  fs::path root_ = tmp_.path();
  struct stat victim_before_ {};
  UniqueFd workspace_;
  // The sandbox user when running as root; else the caller (chown to oneself is allowed).
  uid_t uid_ = ::geteuid() == 0 ? 1'001'000 : ::geteuid();
  gid_t gid_ = ::geteuid() == 0 ? 1'001'000 : ::getegid();
};

TEST_F(OwnedDir, MakesEveryMissingComponentForTheSandboxUser) {
  auto fd = make_owned_dir(workspace_.get(), "a/b/repo", uid_, gid_);
  ASSERT_TRUE(fd);
  for (auto p : {"a", "a/b", "a/b/repo"}) {
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "workspace" / p).c_str(), &st), 0) << p;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << p;
    EXPECT_EQ(st.st_uid, uid_) << p;
    EXPECT_EQ(st.st_gid, gid_) << p;
  }
  // Existing directories are fine (a resumed session).
  EXPECT_TRUE(make_owned_dir(workspace_.get(), "a/b/repo", uid_, gid_));
}

TEST_F(OwnedDir, ASymlinkAtTheMountPathIsRefusedNotFollowed) {
  fs::create_symlink(root_ / "victim", root_ / "workspace" / "secret");
  EXPECT_NE(refused("secret").find("secret is a symbolic link"), std::string::npos)
      << refused("secret");
  expect_victim_untouched();
  // Below a link, too: nothing is created in the victim.
  EXPECT_NE(refused("secret/deeper").find("symbolic link"), std::string::npos);
  expect_victim_untouched();
}

TEST_F(OwnedDir, ASymlinkOnTheWayIsRefused) {
  fs::create_directories(root_ / "workspace" / "a");
  fs::create_symlink(root_, root_ / "workspace" / "a" / "up");
  EXPECT_NE(refused("a/up/victim").find("a/up is a symbolic link"), std::string::npos);
  expect_victim_untouched();
  // A relative link, and one to the directory itself.
  fs::create_symlink("../../victim", root_ / "workspace" / "a" / "rel");
  EXPECT_NE(refused("a/rel").find("symbolic link"), std::string::npos);
  expect_victim_untouched();
}

TEST_F(OwnedDir, DotDotAndFilesInTheWayAreRefused) {
  EXPECT_NE(refused("../victim").find("leaves the directory"), std::string::npos);
  expect_victim_untouched();
  std::ofstream(root_ / "workspace" / "file") << "x";
  EXPECT_NE(refused("file").find("file is not a directory"), std::string::npos);
}

// Each live session gets its own host id range, kept while its directory exists.
TEST(IdSlot, DistinctPerSessionStableAndFreedWithTheDirectory) {
  cove::test::TempDir tmp("cove-id-slot");
  fs::path sessions = tmp.path();
  std::set<std::string> deleted;
  auto exists = [&](const std::string& id) { return !deleted.count(id); };
  std::set<uint32_t> slots;
  for (int i = 0; i < 50; ++i)
    slots.insert(claim_id_slot(sessions, "sesn_" + std::to_string(i), exists));
  EXPECT_EQ(slots.size(), 50u);
  for (auto s : slots)
    EXPECT_LT(s, kIdSlots);
  uint32_t first = claim_id_slot(sessions, "sesn_0", exists);
  EXPECT_TRUE(slots.count(first));
  EXPECT_EQ(claim_id_slot(sessions, "sesn_0", exists), first);  // recorded: stable
  EXPECT_TRUE(fs::exists(sessions / "sesn_0" / "id_slot"));
  EXPECT_EQ(slot_host_base(0), 1'000'000u);
  EXPECT_EQ(slot_host_base(3), 1'000'000u + 3 * 65536u);
  // When every slot is recorded, a new session gets a clear error, unless a record is a
  // leftover of a deleted session: that one holds nothing.
  fs::remove_all(sessions);
  for (uint32_t k = 0; k < kIdSlots; ++k) {
    fs::create_directories(sessions / ("s" + std::to_string(k)));
    std::ofstream(sessions / ("s" + std::to_string(k)) / "id_slot") << k << "\n";
  }
  try {
    claim_id_slot(sessions, "sesn_new", exists);
    ADD_FAILURE() << "expected every slot to be taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("host id ranges are in use"), std::string::npos);
  }
  deleted.insert("s7");
  EXPECT_EQ(claim_id_slot(sessions, "sesn_new", exists), 7u);
}

}  // namespace
}  // namespace cove::sessions
