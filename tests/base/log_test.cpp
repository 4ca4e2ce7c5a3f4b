#include "base/log.hpp"

#include <gtest/gtest.h>

#include <regex>

using cove::log::Level;

TEST(LogLevel, ParsesTheFourNames) {
  EXPECT_EQ(cove::log::parse_level("error"), Level::error);
  EXPECT_EQ(cove::log::parse_level("warn"), Level::warn);
  EXPECT_EQ(cove::log::parse_level("info"), Level::info);
  EXPECT_EQ(cove::log::parse_level("debug"), Level::debug);
  for (const char* bad : {"", "verbose", "INFO", "warning", "trace"})
    EXPECT_FALSE(cove::log::parse_level(bad)) << bad;
}

TEST(LogLevel, ErrorsAreAlwaysEnabledAndMoreDetailOnlyWhenAskedFor) {
  cove::log::set_level(Level::error);
  EXPECT_TRUE(cove::log::enabled(Level::error));
  EXPECT_FALSE(cove::log::enabled(Level::warn));
  cove::log::set_level(Level::info);
  EXPECT_TRUE(cove::log::enabled(Level::error));
  EXPECT_TRUE(cove::log::enabled(Level::info));
  EXPECT_FALSE(cove::log::enabled(Level::debug));
  cove::log::set_level(Level::debug);
  EXPECT_TRUE(cove::log::enabled(Level::debug));
  cove::log::set_level(Level::error);
}

TEST(LogLine, TimeLevelMessageOnOneLine) {
  cove::log::set_level(Level::info);
  testing::internal::CaptureStderr();
  cove::log::write(Level::info, "GET /v1/agents 200 1 ms");
  cove::log::write(Level::debug, "dropped");
  std::string out = testing::internal::GetCapturedStderr();
  cove::log::set_level(Level::error);
  EXPECT_TRUE(std::regex_match(
      out, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info GET /v1/agents 200 1 ms\n)")))
      << out;
}
