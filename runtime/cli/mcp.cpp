// `cove mcp tools|call`: talk to one MCP server from the shell, for people debugging a server.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/version.hpp"
#include "mcp/client.hpp"
#include "runtime/cli/cli.hpp"

namespace cove::cli {
namespace {

struct McpArgs {
  std::string url;
  std::string bearer_env;
  std::string tool;
  std::string arguments = "{}";
  double timeout_s = 60;
  bool raw_json = false;
};

mcp::ServerConfig server_config(const McpArgs& a) {
  mcp::ServerConfig cfg;
  cfg.url = a.url;
  cfg.client_info = {"cove", cove::version(), ""};
  cfg.request_timeout = std::chrono::milliseconds(static_cast<long>(a.timeout_s * 1000));
  cfg.open_event_stream = false;
  if (!a.bearer_env.empty()) {
    const char* token = std::getenv(a.bearer_env.c_str());
    if (!token || !*token)
      throw std::invalid_argument("environment variable " + a.bearer_env +
                                  " (--bearer-env) is not set or empty");
    cfg.bearer_token = token;
  }
  return cfg;
}

void print_tools(const std::vector<mcp::Tool>& tools, bool raw_json) {
  if (raw_json) {
    mcp::json out = mcp::json::array();
    for (const auto& t : tools)
      out.push_back(t.raw);
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& t : tools) {
    std::cout << t.name;
    if (!t.title.empty() && t.title != t.name) std::cout << " (" << t.title << ")";
    std::cout << "\n";
    if (!t.description.empty()) std::cout << "  " << t.description << "\n";
    std::cout << "  input schema: " << t.input_schema.dump() << "\n";
  }
  std::cout << tools.size() << " tool" << (tools.size() == 1 ? "" : "s") << "\n";
}

// Runs `body` against a connected client on a private io_context; returns the exit code.
template <class Body>
int with_client(const McpArgs& args, Body body) {
  try {
    boost::asio::io_context ctx;
    auto client = std::make_shared<mcp::Client>(ctx.get_executor(), server_config(args));
    int code = 1;
    std::exception_ptr failure;
    boost::asio::co_spawn(
        ctx,
        [](std::shared_ptr<mcp::Client> c, Body b, int& out) -> mcp::Task<void> {
          co_await c->connect();
          out = co_await b(*c);
          co_await c->close();
        }(client, body, code),
        [&](std::exception_ptr e) {
          failure = e;
          ctx.stop();
        });
    ctx.run();
    client.reset();
    if (failure) std::rethrow_exception(failure);
    return code;
  } catch (const std::exception& e) {
    std::cerr << "cove mcp: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_mcp_commands(CLI::App& app, int& exit_code) {
  auto* mcp_cmd = app.add_subcommand("mcp", "Talk to an MCP server over streamable HTTP");
  mcp_cmd->require_subcommand(1);
  auto args = std::make_shared<McpArgs>();
  auto common = [args](CLI::App* c) {
    c->add_option("url", args->url, "the server's endpoint, e.g. http://127.0.0.1:3001/mcp")
        ->required();
    c->add_option("--bearer-env", args->bearer_env,
                  "name of the environment variable holding a bearer token");
    c->add_option("--timeout", args->timeout_s, "seconds allowed for each request")
        ->capture_default_str();
    c->add_flag("--json", args->raw_json, "print the server's JSON as it came");
  };

  auto* tools =
      mcp_cmd->add_subcommand("tools", "List the server's tools with their input schemas");
  common(tools);
  tools->callback([args, &exit_code] {
    exit_code = with_client(*args, [raw = args->raw_json](mcp::Client& c) -> mcp::Task<int> {
      print_tools(co_await c.list_tools(), raw);
      co_return 0;
    });
  });

  auto* call = mcp_cmd->add_subcommand("call", "Call one tool and print its result");
  common(call);
  call->add_option("tool", args->tool, "tool name")->required();
  call->add_option("arguments", args->arguments, "tool arguments as a JSON object")
      ->capture_default_str();
  call->callback([args, &exit_code] {
    auto arguments = mcp::json::parse(args->arguments, nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      std::cerr << "cove mcp call: arguments must be a JSON object, got: " << args->arguments
                << "\n";
      exit_code = 2;
      return;
    }
    exit_code = with_client(*args, [args, arguments](mcp::Client& c) -> mcp::Task<int> {
      auto result = co_await c.call_tool(args->tool, arguments);
      if (args->raw_json) {
        std::cout << result.raw.dump(2) << "\n";
      } else {
        std::cout << result.text() << "\n";
        if (result.structured_content)
          std::cout << "structuredContent: " << result.structured_content->dump() << "\n";
      }
      if (result.is_error) std::cerr << "cove mcp call: the tool reported an error\n";
      co_return result.is_error ? 1 : 0;
    });
  });
}

}  // namespace cove::cli
