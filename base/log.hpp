// The daemon's diagnostic log: one line per message on stderr, filtered by a process-wide
// level (`cove serve --log-level`). The one logging mechanism of cove: the API server writes
// a line per request at info, the event log one per session event at debug, and failures
// that reach no client at error, which every level shows. Thread-safe; each line is one
// write(2), so lines from several threads never interleave.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cove::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// "error", "warn", "info", "debug" → the level; nullopt for anything else.
std::optional<Level> parse_level(std::string_view name);

// Messages above `level` are dropped. The default, error, keeps a daemon embedded in a
// command's process (`cove run`) from writing over that command's output.
void set_level(Level level);
bool enabled(Level level);

// "<RFC 3339 time> <level> <message>\n" on stderr when `level` is enabled. The message must
// carry no secret: callers log methods, paths, ids, types and statuses, never bodies.
void write(Level level, std::string_view message);

}  // namespace cove::log
