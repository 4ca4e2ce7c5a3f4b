// tools/call round-trip latency with cove's MCP client against a running server, plus a
// "floor": the same request as pre-built bytes on a plain blocking socket, which measures the
// server's own time (and loopback) with next to no client work.
//   mcp_bench URL CALLS   prints two lines: "<name> <p50 ms> <p99 ms> <calls/s>"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "mcp/client.hpp"

using namespace cove::mcp;
using Clock = std::chrono::steady_clock;

namespace {

void report(const char* name, std::vector<double> ms, double seconds) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * ms.size()))]; };
  std::printf("%s %.3f %.3f %.0f\n", name, at(0.5), at(0.99), ms.size() / seconds);
}

Task<void> cove_client(Client& c, int calls) {
  json args = {{"message", "bench"}};
  std::string tool = "echo";
  for (int i = 0; i < 200; ++i)
    co_await c.call_tool(tool, args);  // warm-up
  std::vector<double> ms;
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    auto r = co_await c.call_tool(tool, args);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (r.text() != "Echo: bench") throw std::runtime_error("unexpected reply " + r.text());
  }
  report("cove", ms, std::chrono::duration<double>(Clock::now() - start).count());
}

// One keep-alive connection, request bytes built once, reply read until the chunked end.
void floor_client(const cove::net::Url& url, const std::string& session, int calls) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(url.port);
  ::inet_pton(AF_INET, url.host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("floor: connect failed");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"bench"}}})";
  std::string req = "POST " + url.target + " HTTP/1.1\r\nHost: " + url.host_header() +
                    "\r\nContent-Type: application/json\r\nAccept: application/json, "
                    "text/event-stream\r\nMcp-Session-Id: " +
                    session + "\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  auto once = [&] {
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size()))
      throw std::runtime_error("floor: write failed");
    std::string got;
    char buf[65536];
    while (got.size() < 5 || got.compare(got.size() - 5, 5, "0\r\n\r\n") != 0) {
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("floor: connection closed");
      got.append(buf, size_t(n));
    }
  };
  for (int i = 0; i < 200; ++i)
    once();
  std::vector<double> ms;
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    once();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  report("floor", ms, std::chrono::duration<double>(Clock::now() - start).count());
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mcp_bench URL CALLS\n";
    return 2;
  }
  const int calls = std::atoi(argv[2]);
  ServerConfig cfg;
  cfg.url = argv[1];
  cfg.open_event_stream = false;  // same as the SDK bench client, which does not read it either
  boost::asio::io_context ctx;
  Client client(ctx.get_executor(), cfg);
  std::exception_ptr failure;
  boost::asio::co_spawn(
      ctx,
      [](Client& c, int n) -> Task<void> {
        co_await c.connect();
        co_await cove_client(c, n);
      }(client, calls),
      [&](std::exception_ptr e) {
        failure = e;
        ctx.stop();
      });
  ctx.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "mcp_bench: " << e.what() << "\n";
      return 1;
    }
  }
  try {
    floor_client(cove::net::parse_url(cfg.url), client.session_id(), calls);
  } catch (const std::exception& e) {
    std::cerr << "mcp_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
