// "Did you mean …?": typos are matched, unrelated words are not.
#include "runtime/cli/suggest.hpp"

#include <gtest/gtest.h>

namespace cove::cli {
namespace {

const std::vector<std::string> kCommands = {"sandbox", "serve", "key",  "repo",
                                            "mcp",     "run",   "demo", "forge"};

TEST(Suggest, EditDistanceCountsEachEditOnce) {
  EXPECT_EQ(edit_distance("sandbox", "sandbox"), 0u);
  EXPECT_EQ(edit_distance("sandox", "sandbox"), 1u);    // deletion
  EXPECT_EQ(edit_distance("sandbbox", "sandbox"), 1u);  // insertion
  EXPECT_EQ(edit_distance("sendbox", "sandbox"), 1u);   // substitution
  EXPECT_EQ(edit_distance("snadbox", "sandbox"), 1u);   // swap of neighbours
  EXPECT_EQ(edit_distance("", "run"), 3u);
}

TEST(Suggest, NearestNamesTheLikelyCommand) {
  EXPECT_EQ(nearest("sandox", kCommands), "sandbox");
  EXPECT_EQ(nearest("serv", kCommands), "serve");
  EXPECT_EQ(nearest("rnu", kCommands), "run");
  EXPECT_EQ(nearest("--modle", {"--model", "--mcp", "--repo"}), "--model");
  EXPECT_EQ(nearest("--mem", {"--memory", "--pids", "--cpus"}), "--memory");
}

TEST(Suggest, NothingForUnrelatedWords) {
  EXPECT_EQ(nearest("version", kCommands), "");
  EXPECT_EQ(nearest("kubectl", kCommands), "");
  EXPECT_EQ(nearest("x", kCommands), "");
}

}  // namespace
}  // namespace cove::cli
