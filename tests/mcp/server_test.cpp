// mcp::Server without a network: requests in, responses out. Version negotiation, sessions
// bound to the credential, authentication outcomes, and the caller reaching the tools.
#include "mcp/server.hpp"

#include <gtest/gtest.h>

#include "mcp/versions.hpp"

using namespace cove;
using json = nlohmann::json;

namespace {

class EchoTools : public mcp::ToolProvider {
 public:
  const json& tools() const override { return tools_; }
  std::optional<json> call(const std::string& name, const json&,
                           const mcp::Caller& caller) override {
    if (name != "whoami") return std::nullopt;
    return json{
        {"content", {{{"type", "text"}, {"text", std::any_cast<std::string>(caller.principal)}}}}};
  }

 private:
  json tools_ = json::array({{{"name", "whoami"}, {"inputSchema", {{"type", "object"}}}}});
};

// Bearer tokens "alice" and "bob" are valid; "gone" was revoked; anything else is malformed.
mcp::Authentication authenticate(std::string_view header) {
  if (header.empty()) return {mcp::Authentication::Kind::missing, {}};
  if (header == "Bearer gone") return {mcp::Authentication::Kind::rejected, {}};
  if (header == "Bearer alice" || header == "Bearer bob") {
    std::string who(header.substr(7));
    return {mcp::Authentication::Kind::accepted, {"id-" + who, who}};
  }
  return {mcp::Authentication::Kind::malformed, {}};
}

struct McpServerTest : ::testing::Test {
  EchoTools tools;
  mcp::Server server{{"test", "Test", "1.0", "", "test realm"}, tools, authenticate};

  net::ServerResponse post(const json& body, const std::string& token = "alice",
                           const std::string& session = "", const std::string& version = "") {
    net::ServerRequest r;
    r.method = "POST";
    r.target = "/mcp";
    r.headers = {{"authorization", "Bearer " + token}, {"content-type", "application/json"}};
    if (!session.empty()) r.headers.emplace_back("mcp-session-id", session);
    if (!version.empty()) r.headers.emplace_back("mcp-protocol-version", version);
    r.body = body.dump();
    return server.handle(r);
  }

  static std::string header(const net::ServerResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  static json initialize_request(const std::string& version) {
    return {{"jsonrpc", "2.0"},
            {"id", 1},
            {"method", "initialize"},
            {"params", {{"protocolVersion", version}, {"capabilities", json::object()}}}};
  }

  std::string open_session(const std::string& token = "alice") {
    auto r = post(initialize_request(std::string(mcp::kLatestProtocolVersion)), token);
    EXPECT_EQ(r.status, 200);
    return header(r, "mcp-session-id");
  }
};

TEST_F(McpServerTest, NegotiatesEveryStreamableRevisionAndOffersTheLatestOtherwise) {
  for (auto v : mcp::kStreamableHttpVersions) {
    auto r = post(initialize_request(std::string(v)));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["result"]["protocolVersion"], v);
    EXPECT_EQ(header(r, "mcp-session-id").size(), 32u);
  }
  for (std::string asked :
       {std::string(mcp::kLegacySseVersion), std::string("2099-01-01"), std::string()}) {
    auto r = post(initialize_request(asked));
    EXPECT_EQ(json::parse(r.body)["result"]["protocolVersion"], mcp::kLatestProtocolVersion)
        << asked;
  }
}

TEST_F(McpServerTest, RefusesAnUnsupportedProtocolVersionHeaderNamingTheSupportedOnes) {
  auto session = open_session();
  json ping = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}};
  EXPECT_EQ(post(ping, "alice", session, "2025-06-18").status, 200);
  auto r = post(ping, "alice", session, "2024-11-05");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["message"],
            "Bad Request: Unsupported protocol version 2024-11-05 (supported versions: "
            "2025-11-25, 2025-06-18, 2025-03-26)");
}

TEST_F(McpServerTest, SessionsBelongToTheirCredentialAndToolsSeeTheCaller) {
  auto session = open_session("alice");
  json call = {
      {"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"}, {"params", {{"name", "whoami"}}}};
  auto r = post(call, "alice", session);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["result"]["content"][0]["text"], "alice");
  EXPECT_EQ(post(call, "bob", session).status, 404);
  EXPECT_EQ(post(call, "alice").status, 400);  // no session id
}

TEST_F(McpServerTest, AnswersEachAuthenticationOutcome) {
  json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}};
  auto revoked = post(ping, "gone");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(header(revoked, "www-authenticate"),
            R"(Bearer realm="test realm", error="invalid_token")");
  EXPECT_EQ(post(ping, "x y z").status, 400);
  net::ServerRequest anonymous;
  anonymous.method = "POST";
  auto missing = server.handle(anonymous);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(header(missing, "www-authenticate"), R"(Bearer realm="test realm")");
}

}  // namespace
