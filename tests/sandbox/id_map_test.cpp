#include "sandbox/id_map.hpp"

#include <gtest/gtest.h>

#include "sandbox/error.hpp"

namespace sb = cove::sandbox;

TEST(IdMap, RootSupervisorMapsTheWholeRangeAwayFromHostRoot) {
  sb::Identity id;
  id.host_base = 200000;
  id.count = 65536;
  auto m = sb::plan_id_mapping(id, 0, 0);
  EXPECT_EQ(m.uid_map, "0 200000 65536\n");
  EXPECT_EQ(m.gid_map, "0 200000 65536\n");
  EXPECT_FALSE(m.deny_setgroups);
  EXPECT_EQ(m.init_uid, 0u);
  EXPECT_TRUE(m.privileged);
  auto owner = sb::sandbox_user_on_host(id, 0, 0);
  EXPECT_EQ(owner.uid, 201000u);
  EXPECT_EQ(owner.gid, 201000u);
}

TEST(IdMap, NeverMapsOntoHostUidZero) {
  sb::Identity id;
  id.host_base = 0;
  EXPECT_THROW(sb::plan_id_mapping(id, 0, 0), sb::SandboxError);
}

TEST(IdMap, RejectsOverflowAndUserOutsideRange) {
  sb::Identity id;
  id.host_base = UINT32_MAX - 10;
  EXPECT_THROW(sb::plan_id_mapping(id, 0, 0), sb::SandboxError);
  sb::Identity small;
  small.count = 1000;
  small.user = 1000;
  EXPECT_THROW(sb::plan_id_mapping(small, 0, 0), sb::SandboxError);
}

TEST(IdMap, UnprivilegedSupervisorMapsOnlyItselfToTheSandboxUser) {
  sb::Identity id;
  auto m = sb::plan_id_mapping(id, 1500, 1600);
  EXPECT_EQ(m.uid_map, "1000 1500 1\n");
  EXPECT_EQ(m.gid_map, "1000 1600 1\n");
  EXPECT_TRUE(m.deny_setgroups);
  EXPECT_EQ(m.init_uid, 1000u);
  EXPECT_FALSE(m.privileged);
  // What the sandbox user writes belongs to the supervisor's own ids, and a checkout the
  // supervisor owns is already the sandbox user's: nothing to chown.
  auto owner = sb::sandbox_user_on_host(id, 1500, 1600);
  EXPECT_EQ(owner.uid, 1500u);
  EXPECT_EQ(owner.gid, 1600u);
}
