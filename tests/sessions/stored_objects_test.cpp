// The edge where a session's stored objects are parsed (stored_objects.hpp): the MCP token
// lookup through the session's vaults, and stored bodies that do not parse.
#include "runtime/sessions/stored_objects.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "runtime/domain/vault_credential.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/what_of.hpp"

namespace cove::sessions {
namespace {

using json = nlohmann::json;
using cove::test::what_of;

class StoredObjects : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::open_sqlite_store((dir_.path() / "cove.db").string()); }
  void TearDown() override { store_.reset(); }

  void put(const std::string& kind, const std::string& id, const std::string& parent, json body,
           bool archived = false) {
    store::WriteBatch b;
    b.put(store::Object{kind, id, parent, "", archived, 1, 0, std::move(body)});
    ASSERT_EQ(store_->commit(std::move(b)).status, store::Status::ok);
  }

  // A credential of `vault` with a secret.
  void credential(const std::string& vault, const std::string& id, domain::CredentialAuth auth,
                  const std::string& secret, bool archived = false) {
    domain::VaultCredential c;
    c.id = id;
    c.vault_id = vault;
    c.auth = std::move(auth);
    put("credential", id, vault, json(c), archived);
    store::WriteBatch b;
    b.put_secret(id, secret);
    ASSERT_EQ(store_->commit(std::move(b)).status, store::Status::ok);
  }

  cove::test::TempDir dir_{"cove-stored"};
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoredObjects, McpTokenIsTheFirstBearerCredentialForTheUrl) {
  const std::string url = "https://mcp.example/api";
  domain::EnvironmentVariableAuth env;
  env.secret_name = "API_KEY";
  credential("vlt_a", "vcrd_env", env, "not-a-bearer");
  credential("vlt_a", "vcrd_other", domain::StaticBearerAuth{"https://other.example/api"}, "other");
  credential("vlt_a", "vcrd_old", domain::StaticBearerAuth{url}, "archived", true);
  credential("vlt_b", "vcrd_b", domain::StaticBearerAuth{url + "/"}, "tok-b");
  credential("vlt_c", "vcrd_c", domain::StaticBearerAuth{url}, "tok-c");

  EXPECT_EQ(mcp_token(*store_, {"vlt_a", "vlt_b", "vlt_c"}, url), "tok-b");
  EXPECT_EQ(mcp_token(*store_, {"vlt_c", "vlt_b"}, url + "//"), "tok-c");
  EXPECT_EQ(mcp_token(*store_, {"vlt_a"}, url), "");  // archived ones do not count
  EXPECT_EQ(mcp_token(*store_, {"vlt_a", "vlt_b"}, "https://other.example/api"), "other");
  EXPECT_EQ(mcp_token(*store_, {"vlt_a", "vlt_b"}, "https://unknown.example"), "");
  EXPECT_EQ(mcp_token(*store_, {}, url), "");
}

TEST_F(StoredObjects, ACredentialThatDoesNotParseIsNamed) {
  put("credential", "vcrd_bad", "vlt_a",
      {{"id", "vcrd_bad"}, {"vault_id", "vlt_a"}, {"auth", {{"type", "static_bearer"}}}});
  auto what = what_of([&] { mcp_token(*store_, {"vlt_a"}, "https://mcp.example"); });
  EXPECT_NE(what.find("the stored credential vcrd_bad does not parse"), std::string::npos) << what;
  EXPECT_NE(what.find("mcp_server_url"), std::string::npos) << what;
}

TEST_F(StoredObjects, ASessionWhoseAgentDoesNotParseIsNamed) {
  store::Object s{"session",
                  "sesn_bad",
                  "",
                  "",
                  false,
                  1,
                  0,
                  {{"id", "sesn_bad"},
                   {"environment_id", "env_1"},
                   {"agent", {{"id", "agent_1"}, {"version", 1}, {"name", "a"}}}}};
  auto what = what_of([&] { read_session(s); });
  EXPECT_NE(what.find("the stored session sesn_bad does not parse: agent.model"), std::string::npos)
      << what;

  s.body["agent"]["model"] = {{"id", "claude-x"}};
  s.body["vault_ids"] = {"vlt_1"};
  auto session = read_session(s);
  EXPECT_EQ(session.agent.config.model.id, "claude-x");
  EXPECT_EQ(session.environment_id, "env_1");
  EXPECT_EQ(session.vault_ids, std::vector<std::string>{"vlt_1"});
}

TEST_F(StoredObjects, EnvironmentConfigDefaultsWhenDeletedAndNamesABadBody) {
  auto config = read_environment_config(*store_, "env_gone");
  EXPECT_FALSE(config.networking.limited);

  put("environment", "env_limited", "",
      {{"id", "env_limited"},
       {"config",
        {{"type", "cloud"},
         {"networking", {{"type", "limited"}, {"allowed_hosts", {"a.test"}}}}}}});
  config = read_environment_config(*store_, "env_limited");
  EXPECT_TRUE(config.networking.limited);
  EXPECT_EQ(config.networking.allowed_hosts, std::vector<std::string>{"a.test"});

  put("environment", "env_bad", "", {{"id", "env_bad"}, {"config", "cloud"}});
  auto what = what_of([&] { read_environment_config(*store_, "env_bad"); });
  EXPECT_NE(what.find("the stored environment env_bad does not parse"), std::string::npos) << what;
}

}  // namespace
}  // namespace cove::sessions
