// Resources: request parsing (defaults, the mount-path rules, the write-only token) and the
// stored form's round trip.
#include "runtime/domain/resource.hpp"

#include <gtest/gtest.h>

#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

json repo_at(const std::string& mount_path) {
  return {{"type", "github_repository"}, {"url", "https://h/o/r"}, {"mount_path", mount_path}};
}

std::string refused(const json& params) {
  return refusal([&] { parse_resource_request(params, "resources[0]"); });
}

TEST(Resource, RepositoryDefaultsAndTheTokenStaysOut) {
  auto req = parse_resource_request({{"type", "github_repository"},
                                     {"url", "https://github.com/o/app.git/"},
                                     {"authorization_token", "ghp_secret"}},
                                    "resources[0]");
  req.resource.id = "sesrsc_1";
  req.resource.created_at = req.resource.updated_at = "2026-01-01T00:00:00.000Z";
  EXPECT_EQ(req.authorization_token, "ghp_secret");
  json wire = req.resource;
  EXPECT_EQ(wire, (json{{"id", "sesrsc_1"},
                        {"type", "github_repository"},
                        {"url", "https://github.com/o/app.git/"},
                        {"mount_path", "/workspace/app"},
                        {"checkout", nullptr},
                        {"created_at", "2026-01-01T00:00:00.000Z"},
                        {"updated_at", "2026-01-01T00:00:00.000Z"}}));
  EXPECT_EQ(wire.dump().find("ghp_secret"), std::string::npos);
  EXPECT_EQ(json(wire.get<Resource>()), wire);
}

TEST(Resource, CheckoutAndFileRoundTrip) {
  json repo = repo_at("/workspace/r");
  repo["checkout"] = {{"type", "commit"}, {"sha", "abc"}};
  auto r = parse_resource_request(repo, "").resource;
  ASSERT_TRUE(r.repository() && r.repository()->checkout);
  EXPECT_EQ(r.repository()->checkout->kind, RepositoryCheckout::Kind::commit);
  EXPECT_EQ(json(r)["checkout"], (json{{"type", "commit"}, {"sha", "abc"}}));
  auto f = parse_resource_request({{"type", "file"}, {"file_id", "file_1"}}, "").resource;
  f.id = "sesrsc_2";
  EXPECT_EQ(f.type(), "file");
  EXPECT_EQ(f.mount_path, "/mnt/session/uploads/file_1");
  EXPECT_EQ(json(json(f).get<Resource>()), json(f));
}

TEST(Resource, ErrorsNameTheField) {
  EXPECT_EQ(refused(repo_at("workspace/x")), "resources[0].mount_path must be absolute");
  EXPECT_EQ(refused(repo_at("/workspace/a/../b")),
            "resources[0].mount_path must not contain . or ..");
  EXPECT_EQ(refused(repo_at("/etc/x")), "resources[0].mount_path must be below /workspace/");
  EXPECT_EQ(refused({{"type", "github_repository"}, {"url", "https://u:p@h/o/r"}}),
            "resources[0].url must not contain credentials; pass the token as "
            "authorization_token");
  EXPECT_EQ(refused({{"type", "github_repository"}, {"url", "ftp://h/r"}}),
            "resources[0].url must be an http(s) URL");
  EXPECT_EQ(refused({{"type", "memory_store"}}),
            "resources[0].type memory_store is not supported by this server");
  json bad_checkout = repo_at("/workspace/r");
  bad_checkout["checkout"] = {{"type", "tag"}};
  EXPECT_EQ(refused(bad_checkout), "resources[0].checkout.type must be branch or commit");
  EXPECT_EQ(refused({{"type", "file"}, {"file_id", "f"}, {"mount_path", "/tmp/f"}}),
            "resources[0].mount_path must be below /workspace/ or /mnt/session/");
}

}  // namespace
}  // namespace cove::domain
