// Environment configs: complete defaults, updates that keep what they omit, the type that
// cannot change, and the wire form's round trip.
#include "runtime/domain/environment.hpp"

#include <gtest/gtest.h>

#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

TEST(EnvironmentConfig, DefaultsAreCloudUnrestrictedWithEveryPackageList) {
  json wire = parse_environment_config(nullptr);
  EXPECT_EQ(wire, (json{{"type", "cloud"},
                        {"networking", {{"type", "unrestricted"}}},
                        {"packages",
                         {{"type", "packages"},
                          {"apt", json::array()},
                          {"cargo", json::array()},
                          {"gem", json::array()},
                          {"go", json::array()},
                          {"npm", json::array()},
                          {"pip", json::array()}}}}));
}

TEST(EnvironmentConfig, LimitedNetworkingFillsDefaultsAndUpdatesKeepTheRest) {
  json request = {{"type", "cloud"},
                  {"networking", {{"type", "limited"}, {"allowed_hosts", {"a.example"}}}}};
  auto config = parse_environment_config(&request);
  EXPECT_TRUE(config.networking.limited);
  EXPECT_EQ(json(config.networking), (json{{"type", "limited"},
                                           {"allowed_hosts", {"a.example"}},
                                           {"allow_package_managers", false},
                                           {"allow_mcp_servers", false}}));
  json update = {{"type", "cloud"},
                 {"networking", {{"type", "limited"}, {"allow_package_managers", true}}}};
  auto next = parse_environment_config(&update, &config);
  EXPECT_EQ(next.networking.allowed_hosts, std::vector<std::string>{"a.example"});
  EXPECT_TRUE(next.networking.allow_package_managers);
  EXPECT_EQ(json(json(next).get<EnvironmentConfig>()), json(next));
}

TEST(EnvironmentConfig, TheTypeCannotChange) {
  EnvironmentConfig cloud;
  json self_hosted = {{"type", "self_hosted"}};
  try {
    parse_environment_config(&self_hosted, &cloud);
    FAIL();
  } catch (const FieldError& e) {
    EXPECT_STREQ(e.what(), "config.type cannot change from cloud to self_hosted");
    EXPECT_EQ(e.code, "invalid_config_type_change");
  }
  json odd = {{"type", "cloud"}, {"networking", {{"type", "open"}}}};
  EXPECT_EQ(refusal([&] { parse_environment_config(&odd); }),
            "config.networking.type must be unrestricted or limited");
}

TEST(Environment, RoundTripsWithNullsKept) {
  Environment env;
  env.id = "env_1";
  env.name = "e";
  env.created_at = env.updated_at = "t";
  json wire = env;
  EXPECT_TRUE(wire["description"].is_null());
  EXPECT_TRUE(wire["archived_at"].is_null());
  EXPECT_EQ(wire["scope"], "organization");
  EXPECT_EQ(json(wire.get<Environment>()), wire);
}

}  // namespace
}  // namespace cove::domain
