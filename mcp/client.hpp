// MCP client for one server over streamable HTTP (revision 2025-11-25, accepting servers that
// negotiate down to 2025-03-26), falling back to the 2024-11-05 HTTP+SSE transport.
//
// It runs initialize, keeps the session id, reads replies sent as JSON or as SSE streams,
// resumes broken streams with Last-Event-ID, re-initializes once when a session expires,
// answers server pings, follows tools/list cursors, reports progress and cancels requests
// that time out or that the caller stops.
//
// Threading: a Client belongs to one executor (a single-threaded io_context or a strand); call
// it only from coroutines running there. Stopping a call through its std::stop_token is safe
// from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "mcp/error.hpp"
#include "mcp/types.hpp"
#include "net/http_client.hpp"

namespace cove::mcp {

template <class T>
using Task = boost::asio::awaitable<T>;

struct ServerConfig {
  std::string name;          // how errors name the server ("github"); empty: by its URL
  std::string url;           // the endpoint, used exactly as given
  net::Headers headers;      // sent on every request (e.g. X-MCP-Toolsets)
  std::string bearer_token;  // sent as "Authorization: Bearer …" on every request; never logged
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  std::string protocol_version{kLatestProtocolVersion};  // the revision asked for
  Implementation client_info{"cove", "", ""};            // empty version: cove's own
  bool open_event_stream = true;  // GET stream for list_changed and server messages
  bool allow_legacy_sse = true;   // try the 2024-11-05 transport when initialize gets 400/404/405
  int max_resume_attempts = 3;
  // Silence on a reply stream after which it counts as broken and is resumed with
  // Last-Event-ID (servers that send no keep-alives may need a long one). Zero: the call's
  // timeout.
  std::chrono::milliseconds stream_idle_timeout{0};
  // Answers elicitation/create requests (declaring the elicitation capability) when set: takes
  // the request params, returns the result ({"action":"accept"|"decline"|"cancel", …}).
  std::function<json(const json& params)> on_elicitation;
  net::HttpClientOptions http;
};

struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout;  // default: ServerConfig::request_timeout
  std::function<void(const Progress&)> on_progress;  // asks for progress when set
  std::stop_token stop;                              // cancels the request when stopped
};

struct ToolPage {
  std::vector<Tool> tools;
  std::optional<std::string> next_cursor;
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, ServerConfig config);
  ~Client();  // stops background streams; does not end the session (see close())
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // initialize + notifications/initialized; opens the event stream when configured.
  Task<ServerInfo> connect();
  // Every tool, following nextCursor until the last page.
  Task<std::vector<Tool>> list_tools();
  Task<ToolPage> list_tools_page(std::optional<std::string> cursor);
  // tools/call. A tool-level failure is a result with is_error; protocol failures throw.
  Task<ToolResult> call_tool(std::string name, json arguments, CallOptions options = {});
  Task<void> ping(CallOptions options = {});
  // Any request; returns its `result`. Throws McpError on a JSON-RPC error.
  Task<json> request(std::string method, json params, CallOptions options = {});
  Task<void> notify(std::string method, json params);
  // Ends the session (DELETE; 405 is fine) and stops the event stream.
  Task<void> close();

  // Called after notifications/tools/list_changed, and after a session was replaced by a new
  // one (its tools may differ): re-run list_tools().
  void on_tools_changed(std::function<void()> callback);
  // Called for every other server notification (logging messages, resource updates, …).
  void on_notification(std::function<void(const json& message)> callback);

  const ServerInfo& server() const;
  const std::string& session_id() const;  // empty for stateless servers
  std::size_t initializations() const;    // 1 after connect(); grows on session expiry

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cove::mcp
