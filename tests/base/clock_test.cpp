// The basics: timestamps, ids and tokens, the fd owner.
#include "base/clock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "base/random.hpp"
#include "base/unique_fd.hpp"

using namespace cove;

TEST(Rfc3339, RoundTripsAndParsesOffsets) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000Z");
  auto ms = parse_rfc3339("2026-04-07T04:27:43.197Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(rfc3339(*ms), "2026-04-07T04:27:43.197Z");
  EXPECT_EQ(parse_rfc3339("2026-01-01T01:00:00+01:00"), parse_rfc3339("2026-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
}

TEST(Ids, HaveThePrefixAndTwentyFourBase58Characters) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_id("sesn");
    ASSERT_EQ(id.size(), 5u + 24u);
    EXPECT_EQ(id.rfind("sesn_", 0), 0u);
    EXPECT_EQ(id.find_first_not_of("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 5),
              std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Tokens, AreHexOfTheRequestedLengthAndDiffer) {
  auto a = random_token("sk-cove-", 32);
  auto b = random_token("sk-cove-", 32);
  EXPECT_EQ(a.size(), 8u + 64u);
  EXPECT_EQ(a.rfind("sk-cove-", 0), 0u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 8), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(UniqueFd, ClosesOnDestructionAndMovesOwnership) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed once, by b
}
