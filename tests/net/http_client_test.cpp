// net::HttpClient against a real node HTTP(S) server on 127.0.0.1 (tests/net/http_peer.mjs).
#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>

#include "net/block_on.hpp"
#include "net/sse_parser.hpp"
#include "tests/support/node_peer.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cert.hpp"

using namespace cove::net;
using cove::net::block_on;
using cove::test::NodePeer;

namespace {

std::unique_ptr<NodePeer> peer;

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer = std::make_unique<NodePeer>(
        std::vector<std::string>{cove::test::source_dir() + "/tests/net/http_peer.mjs"},
        std::vector<std::string>{});
  }
  static void TearDownTestSuite() { peer.reset(); }

  HttpRequest get(const std::string& path) {
    HttpRequest r;
    r.url = parse_url(peer->url(path));
    return r;
  }

  boost::asio::io_context ctx;
};

TEST_F(HttpClientTest, GetWholeResponse) {
  HttpClient client(ctx.get_executor());
  auto res = block_on(ctx, client.send(get("/hello")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello");
  EXPECT_EQ(res.header("content-type").value_or(""), "text/plain");
}

TEST_F(HttpClientTest, PostBodyAndHeadersArrive) {
  HttpClient client(ctx.get_executor());
  auto req = get("/echo");
  req.method = "POST";
  req.body = R"({"x":1})";
  req.headers = {{"Content-Type", "application/json"}, {"X-Test", "yes"}};
  auto res = block_on(ctx, client.send(req));
  EXPECT_NE(res.body.find(R"("method":"POST")"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find(R"("body":"{\"x\":1}")"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find(R"("x-test":"yes")"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find(R"("content-length":"7")"), std::string::npos) << res.body;
}

TEST_F(HttpClientTest, ChunkedBodyIsStreamedPieceByPiece) {
  HttpClient client(ctx.get_executor());
  auto pieces = block_on(ctx, [&]() -> Task<std::vector<std::string>> {
    auto s = co_await client.open(get("/chunks"));
    std::vector<std::string> out;
    while (auto piece = co_await s->read_some())
      out.push_back(*piece);
    co_return out;
  }());
  ASSERT_GE(pieces.size(), 3u);  // one read per chunk: nothing waits for the whole body
  std::string all;
  for (auto& p : pieces)
    all += p;
  EXPECT_EQ(all, "one,two,three");
  EXPECT_EQ(pieces[0], "one,");
}

TEST_F(HttpClientTest, EventStreamThroughSseParser) {
  HttpClient client(ctx.get_executor());
  SseParser parser;
  auto events = block_on(ctx, [&]() -> Task<std::vector<SseEvent>> {
    auto s = co_await client.open(get("/events"));
    std::vector<SseEvent> out;
    while (auto piece = co_await s->read_some())
      for (auto& e : parser.feed(*piece))
        out.push_back(e);
    co_return out;
  }());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "first");
  EXPECT_EQ(events[1].data, "second\nmore");
  EXPECT_EQ(parser.last_event_id(), "2");
  EXPECT_EQ(parser.retry_ms(), 50);
}

TEST_F(HttpClientTest, LargeBody) {
  HttpClient client(ctx.get_executor());
  auto res = block_on(ctx, client.send(get("/big")));
  EXPECT_EQ(res.body.size(), 80u * 65536u);
  auto too_small = [&]() -> Task<void> {
    auto s = co_await client.open(get("/big"));
    co_await s->read_all(1000);
  };
  EXPECT_THROW(block_on(ctx, too_small()), HttpError);
}

TEST_F(HttpClientTest, ConnectionIsReused) {
  HttpClient client(ctx.get_executor());
  auto a = block_on(ctx, client.send(get("/port"))).body;
  auto b = block_on(ctx, client.send(get("/port"))).body;
  auto c = block_on(ctx, client.send(get("/port"))).body;
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, ConnectionClosedByServerIsNotReused) {
  HttpClient client(ctx.get_executor());
  EXPECT_EQ(block_on(ctx, client.send(get("/close"))).body, "bye");
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(block_on(ctx, client.send(get("/hello"))).body, "hello");
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpClientIdle, PooledConnectionClosedByServerIsReplaced) {
  NodePeer quick({cove::test::source_dir() + "/tests/net/http_peer.mjs"}, {"KEEPALIVE_MS=200"});
  boost::asio::io_context ctx;
  HttpClient client(ctx.get_executor());
  HttpRequest req;
  req.method = "POST";  // retried too: the request never reached the server
  req.url = parse_url(quick.url("/echo"));
  req.body = "x";
  EXPECT_EQ(block_on(ctx, client.send(req)).status, 200);
  EXPECT_EQ(client.idle_connections(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the server drops it
  EXPECT_EQ(block_on(ctx, client.send(req)).status, 200);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, ReadTimeoutNamesTheRequest) {
  HttpClient client(ctx.get_executor());
  auto req = get("/slow");
  req.read_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  try {
    block_on(ctx, client.send(req));
    FAIL() << "no timeout";
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("GET http://127.0.0.1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HttpClientTest, AbortEndsAPendingRead) {
  HttpClient client(ctx.get_executor());
  auto task = [&]() -> Task<std::string> {
    auto s = co_await client.open(get("/chunks"));
    auto first = co_await s->read_some();
    s->abort();
    try {
      co_await s->read_some();
    } catch (const HttpError& e) {
      co_return std::string(e.what());
    }
    co_return "no error";
  };
  EXPECT_NE(block_on(ctx, task()).find("aborted"), std::string::npos);
}

TEST_F(HttpClientTest, RedirectsRefusedByDefault) {
  HttpClient client(ctx.get_executor());
  try {
    block_on(ctx, client.send(get("/redirect-here")));
    FAIL() << "redirect followed";
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
  }
}

TEST_F(HttpClientTest, SameOriginRedirectFollowedOnlyWhenAllowed) {
  HttpClientOptions opts;
  opts.redirects = RedirectPolicy::same_origin;
  HttpClient client(ctx.get_executor(), opts);
  EXPECT_EQ(block_on(ctx, client.send(get("/redirect-here"))).body, "hello");
  EXPECT_THROW(block_on(ctx, client.send(get("/redirect-away"))), HttpError);
}

TEST_F(HttpClientTest, ConnectionRefused) {
  HttpClient client(ctx.get_executor());
  HttpRequest req;
  req.url = parse_url("http://127.0.0.1:" + std::to_string(cove::test::free_port()) + "/x");
  try {
    block_on(ctx, client.send(req));
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("connecting to http://127.0.0.1"), std::string::npos)
        << e.what();
  }
}

// TLS: a throw-away self-signed certificate, trusted only when given as extra CA.
class HttpsTest : public ::testing::Test {
 protected:
  void start(const std::string& san) {
    auto made = cove::test::make_test_cert(dir.path(), san);
    cert = made.cert;
    tls_peer = std::make_unique<NodePeer>(
        std::vector<std::string>{cove::test::source_dir() + "/tests/net/http_peer.mjs"},
        std::vector<std::string>{"CERT=" + made.cert, "KEY=" + made.key});
  }
  void TearDown() override { tls_peer.reset(); }
  HttpRequest hello() {
    HttpRequest r;
    r.url = parse_url("https://127.0.0.1:" + std::to_string(tls_peer->port()) + "/hello");
    return r;
  }
  cove::test::TempDir dir{"cove-tls"};
  std::string cert;
  std::unique_ptr<NodePeer> tls_peer;
  boost::asio::io_context ctx;
};

TEST_F(HttpsTest, UntrustedCertificateIsRefused) {
  start("IP:127.0.0.1");
  HttpClient client(ctx.get_executor());
  try {
    block_on(ctx, client.send(hello()));
    FAIL() << "untrusted certificate accepted";
  } catch (const HttpError& e) {
    EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
  }
}

TEST_F(HttpsTest, TrustedCertificateWorks) {
  start("IP:127.0.0.1");
  HttpClientOptions opts;
  opts.extra_ca_file = cert;
  HttpClient client(ctx.get_executor(), opts);
  EXPECT_EQ(block_on(ctx, client.send(hello())).body, "hello");
  EXPECT_EQ(block_on(ctx, client.send(hello())).body, "hello");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpsTest, HostNameMismatchIsRefused) {
  start("DNS:other.example");
  HttpClientOptions opts;
  opts.extra_ca_file = cert;
  HttpClient client(ctx.get_executor(), opts);
  EXPECT_THROW(block_on(ctx, client.send(hello())), HttpError);
}

}  // namespace
