#include "runtime/cli/size.hpp"

#include <gtest/gtest.h>

TEST(ParseSize, UnitsAreBinary) {
  EXPECT_EQ(cove::parse_size("4096"), 4096u);
  EXPECT_EQ(cove::parse_size("512M"), 512ull << 20);
  EXPECT_EQ(cove::parse_size("2g"), 2ull << 30);
  EXPECT_EQ(cove::parse_size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(cove::parse_size("64KB"), 64ull << 10);
  EXPECT_EQ(cove::parse_size("1T"), 1ull << 40);
  EXPECT_EQ(cove::parse_size("1024"), 1024u);
  EXPECT_EQ(cove::parse_size("2K"), 2048u);
  EXPECT_EQ(cove::parse_size("1.5M"), 1572864u);
  EXPECT_EQ(cove::parse_size("10GiB"), 10ull << 30);
}

TEST(ParseSize, RejectsGarbage) {
  for (const char* bad : {"", "M", "12X", "-5M", "1.2.3G", "0", "abc", "5 M", "ten", "5X"})
    EXPECT_FALSE(cove::parse_size(bad)) << bad;
}
