#include "runtime/cli/duration.hpp"

#include <gtest/gtest.h>

using std::chrono::milliseconds;

TEST(ParseDuration, UnitsAndSecondsByDefault) {
  EXPECT_EQ(cove::parse_duration("90"), milliseconds(90'000));
  EXPECT_EQ(cove::parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(cove::parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(cove::parse_duration("10m"), milliseconds(600'000));
  EXPECT_EQ(cove::parse_duration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(cove::parse_duration("0"), milliseconds(0));
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* bad :
       {"", "m", "-5s", "1.5m", "10 m", "10d", "ten", "5sec", "99999999999999999999"})
    EXPECT_FALSE(cove::parse_duration(bad)) << bad;
}
