// The client under test for `conformance client --command …`: the suite appends the mock
// server's URL as the last argument and names the scenario in MCP_CONFORMANCE_SCENARIO.
// It connects, lists the tools, calls each with arguments made from its input schema (numbers
// 2, 3, …), accepts elicitations with their defaults, and ends the session.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "mcp/client.hpp"

using namespace cove::mcp;

namespace {

json arguments_for(const Tool& tool) {
  json args = json::object();
  int next_number = 2;
  auto props = tool.input_schema.find("properties");
  if (props == tool.input_schema.end() || !props->is_object()) return args;
  for (const auto& [name, schema] : props->items()) {
    std::string type = schema.is_object() ? schema.value("type", "") : "";
    if (type == "number" || type == "integer")
      args[name] = next_number++;
    else if (type == "string")
      args[name] = "test";
    else if (type == "boolean")
      args[name] = true;
  }
  return args;
}

Task<int> run(Client& client) {
  auto info = co_await client.connect();
  std::cout << "connected: " << info.implementation.name << " protocol " << info.protocol_version
            << "\n";
  for (const auto& tool : co_await client.list_tools()) {
    auto result = co_await client.call_tool(tool.name, arguments_for(tool));
    std::cout << tool.name << ": " << result.text() << "\n";
  }
  co_await client.close();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mcp_conformance_client URL\n";
    return 2;
  }
  const char* scenario = std::getenv("MCP_CONFORMANCE_SCENARIO");
  std::cerr << "scenario: " << (scenario ? scenario : "(none)") << "\n";
  ServerConfig cfg;
  cfg.name = "conformance";
  cfg.url = argv[argc - 1];
  cfg.request_timeout = std::chrono::seconds(10);
  cfg.on_elicitation = [](const json& params) {
    return json{{"action", "accept"},
                {"content", elicitation_defaults(params.value("requestedSchema", json::object()))}};
  };
  boost::asio::io_context ctx;
  int code = 1;
  try {
    Client client(ctx.get_executor(), cfg);
    std::exception_ptr failure;
    boost::asio::co_spawn(ctx, run(client), [&](std::exception_ptr e, int c) {
      failure = e;
      code = c;
      ctx.stop();
    });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    std::cerr << "mcp_conformance_client: " << e.what() << "\n";
    return 1;
  }
  return code;
}
