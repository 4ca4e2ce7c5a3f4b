#include "runtime/cli/duration.hpp"

#include <gtest/gtest.h>

using std::chrono::seconds;

TEST(ParseDuration, Units) {
  EXPECT_EQ(cove::parse_duration("90s"), seconds(90));
  EXPECT_EQ(cove::parse_duration("30m"), seconds(1800));
  EXPECT_EQ(cove::parse_duration("12h"), seconds(43200));
  EXPECT_EQ(cove::parse_duration("7d"), seconds(604800));
  EXPECT_EQ(cove::parse_duration("2w"), seconds(1209600));
  EXPECT_EQ(cove::parse_duration("0"), seconds(0));
  EXPECT_EQ(cove::parse_duration("0s"), seconds(0));
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* bad : {"", "5", "h", "-1h", "1.5h", "1 h", "1y", "ten", "1hh",
                          "99999999999999999999d", "9999999999999999w"})
    EXPECT_FALSE(cove::parse_duration(bad)) << bad;
}

TEST(ShortAge, LargestWholeUnit) {
  EXPECT_EQ(cove::short_age(-5), "0s");
  EXPECT_EQ(cove::short_age(999), "0s");
  EXPECT_EQ(cove::short_age(42'000), "42s");
  EXPECT_EQ(cove::short_age(60'000), "1m");
  EXPECT_EQ(cove::short_age(3 * 3600'000 + 59'000), "3h");
  EXPECT_EQ(cove::short_age(2 * 86400'000LL), "2d");
  EXPECT_EQ(cove::short_age(15 * 86400'000LL), "2w");
}
