// Vault credentials: defaults, the secret kept apart, updates, and finding a server's token.
#include "runtime/domain/vault_credential.hpp"

#include <gtest/gtest.h>

#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

TEST(VaultCredential, EnvironmentVariableDefaultsAndTheSecretStaysOut) {
  std::optional<std::string> secret;
  auto auth = parse_credential_auth(
      {{"type", "environment_variable"}, {"secret_name", "KEY"}, {"secret_value", "s3cret"}},
      nullptr, &secret);
  EXPECT_EQ(secret, "s3cret");
  json wire = auth;
  EXPECT_EQ(wire, (json{{"type", "environment_variable"},
                        {"secret_name", "KEY"},
                        {"networking", {{"type", "unrestricted"}}},
                        {"injection_location", {{"body", false}, {"header", true}}}}));
  EXPECT_EQ(json(wire.get<CredentialAuth>()), wire);
  auto rotated = parse_credential_auth(
      {{"type", "environment_variable"}, {"injection_location", {{"body", true}}}}, &auth, &secret);
  EXPECT_FALSE(secret);
  EXPECT_EQ(json(rotated)["injection_location"], (json{{"body", true}, {"header", true}}));
}

TEST(VaultCredential, StaticBearerMatchesItsServerIgnoringTrailingSlashes) {
  std::optional<std::string> secret;
  VaultCredential cred;
  cred.auth = parse_credential_auth(
      {{"type", "static_bearer"}, {"mcp_server_url", "https://m/mcp/"}, {"token", "t"}}, nullptr,
      &secret);
  EXPECT_TRUE(cred.bears_token_for("https://m/mcp"));
  EXPECT_FALSE(cred.bears_token_for("https://other/mcp"));
  cred.id = "vcrd_1";
  cred.vault_id = "vlt_1";
  json wire = cred;
  EXPECT_TRUE(wire["display_name"].is_null());
  EXPECT_EQ(wire.dump().find("\"t\""), std::string::npos);
  EXPECT_EQ(json(wire.get<VaultCredential>()), wire);
}

TEST(VaultCredential, MessagesNameTheField) {
  std::optional<std::string> secret;
  EXPECT_EQ(refusal([&] {
              parse_credential_auth({{"type", "static_bearer"}, {"mcp_server_url", "u"}}, nullptr,
                                    &secret);
            }),
            "auth.token is required");
  EXPECT_EQ(refusal([&] {
              parse_credential_auth({{"type", "mcp_oauth"}}, nullptr, &secret);
            }),
            "auth.type must be static_bearer or environment_variable (mcp_oauth is not "
            "supported yet)");
  StaticBearerAuth bearer{"u"};
  CredentialAuth current = bearer;
  EXPECT_EQ(refusal([&] {
              parse_credential_auth({{"type", "environment_variable"}}, &current, &secret);
            }),
            "auth.type cannot change");
  EXPECT_EQ(refusal([&] {
              parse_credential_auth({{"type", "environment_variable"},
                                     {"secret_name", "K"},
                                     {"networking", {{"type", "limited"}}}},
                                    nullptr, &secret);
            }),
            "auth.networking.allowed_hosts must be an array");
}

}  // namespace
}  // namespace cove::domain
