#include "sandbox/protocol.hpp"

#include <gtest/gtest.h>

namespace w = cove::sandbox::wire;

TEST(SandboxProtocol, SetupRoundTrips) {
  w::Setup s;
  s.hostname = "box";
  s.uid = 1000;
  s.gid = 1001;
  s.mounts.push_back({w::MountKind::kBind, w::kReadOnly | w::kNoSuid, 0, "/usr", "/usr", ""});
  s.mounts.push_back({w::MountKind::kTmpfs, w::kNoDev, 01777, "", "/tmp", "size=1m"});
  s.rlimits.push_back({4, 0, 0});
  s.seccomp_bpf = std::string("\x00\x01\x02", 3);
  const std::string bytes = w::encode(s);
  w::Reader r(bytes);
  ASSERT_EQ(r.type(), w::Type::kSetup);
  w::Setup out;
  ASSERT_TRUE(w::decode(r, out));
  EXPECT_EQ(out.hostname, "box");
  EXPECT_EQ(out.uid, 1000u);
  EXPECT_EQ(out.gid, 1001u);
  EXPECT_EQ(out.mounts, s.mounts);
  ASSERT_EQ(out.rlimits.size(), 1u);
  EXPECT_EQ(out.seccomp_bpf, s.seccomp_bpf);
}

TEST(SandboxProtocol, SpawnRoundTripsAndRejectsEmptyArgv) {
  w::Spawn s{7, w::kStdoutFd, 1500, "/workspace", {"bash", "-c", "true"}, {"A=1"}};
  const std::string bytes = w::encode(s);
  w::Reader r(bytes);
  ASSERT_EQ(r.type(), w::Type::kSpawn);
  w::Spawn out;
  ASSERT_TRUE(w::decode(r, out));
  EXPECT_EQ(out.argv, s.argv);
  EXPECT_EQ(out.env, s.env);
  EXPECT_EQ(out.timeout_ms, 1500u);

  s.argv.clear();
  const std::string empty_argv = w::encode(s);
  w::Reader r2(empty_argv);
  r2.type();
  EXPECT_FALSE(w::decode(r2, out));
}

TEST(SandboxProtocol, TruncatedMessagesFailInsteadOfOverrunning) {
  w::Spawn s{1, 0, 0, "/", {"x"}, {}};
  std::string bytes = w::encode(s);
  for (size_t cut = 4; cut < bytes.size(); ++cut) {
    w::Reader r(std::string_view(bytes).substr(0, cut));
    r.type();
    w::Spawn out;
    EXPECT_FALSE(w::decode(r, out)) << "cut at " << cut;
  }
}
