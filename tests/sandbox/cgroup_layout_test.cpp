#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sandbox/cgroup.hpp"

namespace sb = cove::sandbox;

// This project's machines: controllers on v1 hierarchies, an almost empty cgroup2 at
// /sys/fs/cgroup/unified, cove inside a nested memory cgroup.
TEST(CgroupLayout, HybridUsesTheV1HierarchiesAndOwnPath) {
  const char* cgroup =
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n";
  const char* mountinfo =
      "30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
      "32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
      "34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "38 30 0:34 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
      "40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  auto l = sb::CgroupLayout::parse(cgroup, mountinfo);
  ASSERT_TRUE(l.memory && l.pids && l.cpu);
  EXPECT_EQ(l.memory->dir, "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_FALSE(l.memory->v2);
  EXPECT_EQ(l.pids->dir, "/sys/fs/cgroup/pids");
  EXPECT_EQ(l.cpu->dir, "/sys/fs/cgroup/cpu");
}

TEST(CgroupLayout, CombinedV1ControllersLikeCpuCpuacct) {
  auto l = sb::CgroupLayout::parse(
      "5:cpu,cpuacct:/user.slice\n3:memory:/user.slice\n2:pids:/user.slice\n",
      "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "38 30 0:34 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n");
  ASSERT_TRUE(l.cpu);
  EXPECT_EQ(l.cpu->dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
}

TEST(CgroupLayout, PureV2PutsEveryControllerInTheUnifiedTree) {
  auto l = sb::CgroupLayout::parse(
      "0::/user.slice/user-1000.slice/session-2.scope\n",
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  ASSERT_TRUE(l.memory && l.pids && l.cpu);
  EXPECT_TRUE(l.memory->v2 && l.pids->v2 && l.cpu->v2);
  EXPECT_EQ(l.memory->dir, "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
}

TEST(CgroupLayout, ContainerMountRootIsStripped) {
  // Inside a container the cgroup mount's root is the container's own cgroup.
  auto l = sb::CgroupLayout::parse(
      "0::/docker/abc/inner\n", "35 24 0:30 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(l.memory);
  EXPECT_EQ(l.memory->dir, "/sys/fs/cgroup/inner");
}

TEST(CgroupLayout, NothingMountedMeansNoControllers) {
  auto l = sb::CgroupLayout::parse("0::/\n", "");
  EXPECT_FALSE(l.memory || l.pids || l.cpu);
  EXPECT_THROW(sb::Cgroup::create(l, "x", {}), std::exception);
}

// Rootless, cove makes cgroups only in one delegated to its user: its own cgroup and its
// cgroup.procs writable, and on cgroup v2 the three controllers available there. The reason
// names what is missing, so the warning can say it.
TEST(CgroupLayout, DelegationNamesWhatIsMissing) {
  char tmpl[] = "/tmp/cove-cgroup-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  sb::CgroupLayout l;
  l.memory = l.pids = l.cpu = sb::CgroupLayout::Hierarchy{dir + "/missing", true};
  auto missing = l.delegation_problem();
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find(dir + "/missing is not writable"), std::string::npos) << *missing;

  auto write = [](const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  write(dir + "/cgroup.procs", "");
  write(dir + "/cgroup.controllers", "cpuset memory pids\n");
  l.memory = l.pids = l.cpu = sb::CgroupLayout::Hierarchy{dir, true};
  if (::geteuid() != 0) {  // root may write anything; the controllers are checked below
    ::chmod((dir + "/cgroup.procs").c_str(), 0444);
    auto procs = l.delegation_problem();
    ASSERT_TRUE(procs);
    EXPECT_NE(procs->find(dir + "/cgroup.procs is not writable"), std::string::npos) << *procs;
    ::chmod((dir + "/cgroup.procs").c_str(), 0644);
  }
  auto cpu = l.delegation_problem();
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, "the cpu controller is not delegated to " + dir);
  write(dir + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  EXPECT_EQ(l.delegation_problem(), std::nullopt);
  // v1: no controllers file; a writable directory is enough.
  l.memory = l.pids = l.cpu = sb::CgroupLayout::Hierarchy{dir, false};
  EXPECT_EQ(l.delegation_problem(), std::nullopt);
  std::filesystem::remove_all(dir);
}
