// What `cove info` and `cove version` show of a running daemon: its version, process, home
// and store, model provider (never a key), network mode and sandbox limits. Served at
// GET /cove/v1/info, under cove's own prefix so that it never collides with an Anthropic API
// path; it needs the API key like every route.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "runtime/api/server.hpp"

namespace cove::api {

// The daemon's description for `options`, listening on `port`. Holds no secret: keys are
// reported only as whether one is set.
nlohmann::json daemon_info(const ServerOptions& options, uint16_t port);

}  // namespace cove::api
