#include "sandbox/mount_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "sandbox/error.hpp"

namespace sb = cove::sandbox;
namespace w = cove::sandbox::wire;

namespace {

// A merged-/usr host: /bin etc. are symlinks, /usr and /etc directories.
class FakeHost final : public sb::HostView {
 public:
  std::map<std::string, std::string> links = {
      {"/bin", "usr/bin"}, {"/sbin", "usr/sbin"}, {"/lib", "usr/lib"}, {"/lib64", "usr/lib64"}};
  std::set<std::string> dirs = {"/usr",      "/etc",      "/srv/repo", "/srv/cache",
                                "/proc/sys", "/proc/irq", "/proc/bus"};
  std::set<std::string> files = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                 "/dev/urandom", "/dev/tty",  "/srv/file"};

  std::optional<std::string> symlink_target(const std::string& p) const override {
    auto it = links.find(p);
    return it == links.end() ? std::nullopt : std::optional(it->second);
  }
  bool is_directory(const std::string& p) const override { return dirs.count(p) > 0; }
  bool exists(const std::string& p) const override {
    return dirs.count(p) || files.count(p) || links.count(p);
  }
};

const w::MountOp* find(const std::vector<w::MountOp>& plan, const std::string& target) {
  auto it = std::find_if(plan.begin(), plan.end(), [&](auto& op) { return op.target == target; });
  return it == plan.end() ? nullptr : &*it;
}

size_t index_of(const std::vector<w::MountOp>& plan, const std::string& target) {
  for (size_t i = 0; i < plan.size(); ++i)
    if (plan[i].target == target) return i;
  return plan.size();
}

std::string plan_error(const sb::SandboxSpec& spec, const FakeHost& host) {
  try {
    sb::build_mount_plan(spec, host);
  } catch (const sb::SandboxError& e) {
    EXPECT_EQ(e.step(), "mount plan");
    return e.what();
  }
  return "";
}

}  // namespace

TEST(MountPlan, SystemDirsAreReadOnlyBindsOrSymlinksLikeTheHost) {
  FakeHost host;
  auto plan = sb::build_mount_plan({}, host);
  const auto* usr = find(plan, "/usr");
  ASSERT_NE(usr, nullptr);
  EXPECT_EQ(usr->kind, w::MountKind::kBind);
  EXPECT_EQ(usr->flags & (w::kReadOnly | w::kNoSuid | w::kNoDev),
            w::kReadOnly | w::kNoSuid | w::kNoDev);
  const auto* bin = find(plan, "/bin");
  ASSERT_NE(bin, nullptr);
  EXPECT_EQ(bin->kind, w::MountKind::kSymlink);
  EXPECT_EQ(bin->data, "usr/bin");
  EXPECT_EQ(find(plan, "/lib32"), nullptr) << "absent on the host, absent in the sandbox";
}

TEST(MountPlan, OwnProcMinimalDevAndSizedTmp) {
  FakeHost host;
  sb::SandboxSpec spec;
  spec.limits.tmp_bytes = 1 << 20;
  auto plan = sb::build_mount_plan(spec, host);
  ASSERT_NE(find(plan, "/proc"), nullptr);
  EXPECT_EQ(find(plan, "/proc")->kind, w::MountKind::kProc);
  EXPECT_TRUE(find(plan, "/proc")->flags & w::kNoExec);
  for (const char* knob : {"/proc/sys", "/proc/irq", "/proc/bus"}) {
    ASSERT_NE(find(plan, knob), nullptr) << knob;
    EXPECT_EQ(find(plan, knob)->kind, w::MountKind::kBind) << knob;
    EXPECT_TRUE(find(plan, knob)->flags & (w::kReadOnly | w::kSourceInRoot)) << knob;
  }
  EXPECT_EQ(find(plan, "/proc/sysrq-trigger"), nullptr) << "absent on the host: not bound";
  ASSERT_NE(find(plan, "/tmp"), nullptr);
  EXPECT_EQ(find(plan, "/tmp")->data, "mode=1777,size=1048576");
  EXPECT_EQ(find(plan, "/dev/shm")->data, "mode=1777,size=1048576");
  // Only the harmless devices, bound from the host; nothing else under /dev.
  std::set<std::string> devices;
  for (const auto& op : plan)
    if (op.kind == w::MountKind::kBind && op.target.rfind("/dev/", 0) == 0)
      devices.insert(op.target);
  EXPECT_EQ(devices, (std::set<std::string>{"/dev/full", "/dev/null", "/dev/random", "/dev/tty",
                                            "/dev/urandom", "/dev/zero"}));
  for (const auto& d : devices)
    EXPECT_FALSE(find(plan, d)->flags & w::kNoDev) << d;
  EXPECT_EQ(find(plan, "/dev/pts")->kind, w::MountKind::kDevpts);
  EXPECT_NE(find(plan, "/dev/pts")->data.find("newinstance"), std::string::npos);
  EXPECT_LT(index_of(plan, "/dev"), index_of(plan, "/dev/null"));
}

TEST(MountPlan, UserBindsAreNosuidNodevAndKeepTheirMode) {
  FakeHost host;
  sb::SandboxSpec spec;
  spec.binds = {{"/srv/repo", "/workspace/repo", false}, {"/srv/cache", "/cache", true}};
  auto plan = sb::build_mount_plan(spec, host);
  const auto* repo = find(plan, "/workspace/repo");
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(repo->source, "/srv/repo");
  EXPECT_EQ(repo->flags, w::kNoSuid | w::kNoDev);
  EXPECT_EQ(find(plan, "/cache")->flags, w::kNoSuid | w::kNoDev | w::kReadOnly);
  // User binds come after the system mounts they might sit in.
  EXPECT_GT(index_of(plan, "/workspace/repo"), index_of(plan, "/tmp"));
}

TEST(MountPlan, NestedBindsAreOrderedParentFirst) {
  FakeHost host;
  sb::SandboxSpec spec;
  spec.binds = {{"/srv/cache", "/workspace/repo/cache", true}, {"/srv/repo", "/workspace/repo"}};
  auto plan = sb::build_mount_plan(spec, host);
  EXPECT_LT(index_of(plan, "/workspace/repo"), index_of(plan, "/workspace/repo/cache"));
}

TEST(MountPlan, SandboxUserHasPasswdAndGroupEntries) {
  FakeHost host;
  sb::SandboxSpec spec;
  spec.identity.user = 1234;
  spec.identity.user_name = "agent";
  auto plan = sb::build_mount_plan(spec, host);
  const auto* passwd = find(plan, "/run/cove/passwd");
  ASSERT_NE(passwd, nullptr);
  EXPECT_NE(passwd->data.find("agent:x:1234:1234:"), std::string::npos);
  const auto* bound = find(plan, "/etc/passwd");
  ASSERT_NE(bound, nullptr);
  EXPECT_TRUE(bound->flags & w::kSourceInRoot);
  EXPECT_TRUE(bound->flags & w::kReadOnly);
  EXPECT_LT(index_of(plan, "/run/cove/passwd"), index_of(plan, "/etc/passwd"));
  EXPECT_NE(find(plan, "/run/cove/group")->data.find("agent:x:1234:"), std::string::npos);
}

TEST(MountPlan, RejectsBadBindsWithAMessageNamingThem) {
  FakeHost host;
  auto err = [&](std::vector<sb::Bind> binds) {
    sb::SandboxSpec spec;
    spec.binds = std::move(binds);
    return plan_error(spec, host);
  };
  auto has = [](const std::string& msg, const char* part) {
    return msg.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(err({{"srv/repo", "/workspace/repo"}}), "source must be an absolute path"));
  EXPECT_TRUE(has(err({{"/srv/repo", "workspace"}}), "target must be an absolute path"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/workspace/../etc"}}), "target must be an absolute path"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/"}}), "target must be an absolute path"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/usr/local/x"}}), "inside system directory /usr"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/etc"}}), "inside system directory /etc"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/proc/sys"}}), "inside /proc"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/dev/sda"}}), "inside /dev"));
  EXPECT_TRUE(has(err({{"/srv/missing", "/workspace/x"}}), "source does not exist"));
  EXPECT_TRUE(has(err({{"/srv/repo", "/w"}, {"/srv/cache", "/w"}}), "used by another bind"));
  EXPECT_TRUE(has(err({{"/srv/missing", "/workspace/x"}}), "bind /srv/missing:/workspace/x"));
  EXPECT_EQ(err({{"/srv/repo", "/workspace/repo"}, {"/srv/file", "/tmp/file"}}), "");
}

TEST(MountPlan, NormalAbsolutePaths) {
  EXPECT_TRUE(sb::is_normal_absolute_path("/"));
  EXPECT_TRUE(sb::is_normal_absolute_path("/a/b.c/..d"));
  EXPECT_FALSE(sb::is_normal_absolute_path(""));
  EXPECT_FALSE(sb::is_normal_absolute_path("a"));
  EXPECT_FALSE(sb::is_normal_absolute_path("/a/"));
  EXPECT_FALSE(sb::is_normal_absolute_path("//a"));
  EXPECT_FALSE(sb::is_normal_absolute_path("/a/./b"));
  EXPECT_FALSE(sb::is_normal_absolute_path("/a/.."));
}
