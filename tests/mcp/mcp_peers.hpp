// The MCP servers the tests talk to: server-everything (npm) and tests/mcp/test_server.mjs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/node_peer.hpp"

namespace cove::test {

// server-everything in `streamableHttp` (endpoint /mcp) or `sse` (endpoint /sse) mode.
inline std::unique_ptr<NodePeer> start_everything(const std::string& mode) {
  int port = free_port();
  return std::make_unique<NodePeer>(
      std::vector<std::string>{
          "--import", source_dir() + "/tests/mcp/loopback.mjs",
          source_dir() + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
          mode},
      std::vector<std::string>{"PORT=" + std::to_string(port)}, port);
}

// tests/mcp/test_server.mjs with MODE, JSON, TOKEN, PAGE settings ("MODE=stateless", …).
inline std::unique_ptr<NodePeer> start_test_server(std::vector<std::string> env) {
  if (const char* debug = std::getenv("COVE_TEST_SERVER_DEBUG"))
    env.push_back(std::string("DEBUG=") + debug);
  return std::make_unique<NodePeer>(
      std::vector<std::string>{source_dir() + "/tests/mcp/test_server.mjs"}, std::move(env));
}

}  // namespace cove::test
