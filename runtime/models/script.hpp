// Model scripts: the file format of the `scripted` provider (docs/models.md), the provider that
// replays one, and the recorder that writes one from any provider's replies.
//
// A script is {"turns":[turn, ...]} or JSON Lines with one turn per line. A turn is a reply
//   {"content":[Messages content blocks], "stop_reason":"tool_use", "usage":{...}}
// or a failure
//   {"error":{"status":529, "kind":"overloaded", "message":"...", "retry_after_ms":1000}}
// either optionally after "delay_ms". complete() call N plays turn N.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/models/provider.hpp"

namespace cove::models {

struct ScriptError {
  ModelErrorKind kind = ModelErrorKind::server;
  int status = 0;
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
};

struct ScriptTurn {
  std::optional<ModelReply> reply;  // exactly one of reply and error
  std::optional<ScriptError> error;
  std::chrono::milliseconds delay{0};  // waited (interruptibly) before answering
};

// One turn; `number` (1-based) names tool_use blocks that have no id ("toolu_scripted_3_1").
// Throws std::invalid_argument saying what is wrong (no location: the caller adds it).
ScriptTurn parse_script_turn(const json& turn, std::size_t number);

// A whole script. `name` goes into messages. Throws std::invalid_argument naming the script, the
// line or turn, and the problem.
std::vector<ScriptTurn> parse_script(std::string_view text, const std::string& name);
// Reads and parses a script file; std::invalid_argument when it cannot be read or parsed.
std::vector<ScriptTurn> load_script(const std::filesystem::path& file);

// The turn that replays `reply` (or `error`) exactly.
json script_turn_json(const ModelReply& reply);
json script_turn_json(const ModelError& error);

// The ModelError a scripted failure raises.
ModelError script_error(const ScriptError& error);

// `text` cut into up to `pieces` deltas at UTF-8 character boundaries (none when empty), so
// scripted replies stream like real ones.
std::vector<std::string_view> split_for_stream(std::string_view text, std::size_t pieces = 3);

// Replays `turns` in order, one per complete() call, streaming each reply to the sink. Past the
// end every call fails with request_failed saying how many turns the script has.
std::unique_ptr<Provider> make_scripted_provider(std::string name, std::vector<ScriptTurn> turns);

// Wraps `inner` so every reply, and every failure other than an interrupt, is appended (one
// line, written at once) to `file` as a script turn. The directory is created; the file is
// opened once here so a bad location fails now (std::invalid_argument). A reply that cannot be
// recorded fails the call (request_failed) rather than leaving a script that replays wrong.
std::unique_ptr<Provider> make_recording_provider(std::unique_ptr<Provider> inner,
                                                  std::filesystem::path file);

}  // namespace cove::models
