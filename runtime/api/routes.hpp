// The API's routing table and what a route handler gets: the parsed request (path
// parameters, query, JSON body) and the shared services (store, event log, session runner).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "net/http_server.hpp"
#include "runtime/api/error.hpp"
#include "runtime/api/query.hpp"
#include "runtime/api/validation.hpp"
#include "runtime/sessions/event_log.hpp"
#include "runtime/sessions/session_runner.hpp"

namespace cove::api {

struct Services {
  store::Store& store;
  sessions::EventLog& log;
  sessions::SessionRunner& runner;
  int heartbeat_ms = 15000;
  // Serialises read-modify-write of whole objects (updates with version checks, patches).
  // Event appends and status changes never take it.
  std::mutex update_mu;
  // The daemon's own description (GET /cove/v1/info), set by the server once it listens.
  std::function<json()> daemon_info;
};

struct Call {
  const net::ServerRequest& http;
  std::vector<std::string> params;  // path parameters, in order
  Query query;
  json body;  // the parsed JSON body; an empty object when there was none
};

// A route's answer: JSON (status 200 by default) or a stream.
struct Reply {
  int status = 200;
  json body;
  std::shared_ptr<net::ResponseStream> stream;
};

using RouteFn = Reply (*)(Services&, Call&);

struct Route {
  const char* method;
  const char* pattern;  // "/v1/agents/{}/versions": {} matches one path segment
  RouteFn fn;
};

// Each resource's routes, appended to the table.
void add_agent_routes(std::vector<Route>& routes);
void add_environment_routes(std::vector<Route>& routes);
void add_session_routes(std::vector<Route>& routes);
void add_resource_routes(std::vector<Route>& routes);
void add_event_routes(std::vector<Route>& routes);
void add_vault_routes(std::vector<Route>& routes);
// cove's own routes, under /cove/ (not part of the Managed Agents API): GET /cove/v1/info.
void add_cove_routes(std::vector<Route>& routes);

// cove's own, under /cove/v1/: exec and file copies in a session's sandbox (exec.cpp).
void add_exec_routes(std::vector<Route>& routes);

// A page of a list endpoint: {data, next_page} (+ prev_page when bidirectional).
json page_json(json data, std::optional<std::string> next_page);

// Runs a list query in ascending order from the request's `page` cursor and answers with
// one page of bodies and the cursor of the next.
Reply forward_page(Services& s, const Call& c, store::ObjectQuery q);

// Converts a failed commit into the matching API error (404/409/500).
void check_commit(const store::CommitResult& result, const std::string& what,
                  const std::string& id);

// Loads an object of the given kind or throws 404 (`error_code` in details when given).
store::Object load(Services& s, const std::string& kind, const std::string& id,
                   const std::string& what, const std::string& error_code = {});

}  // namespace cove::api
