#include "base/log.hpp"

#include <unistd.h>

#include <atomic>

#include "base/clock.hpp"

namespace cove::log {

namespace {

std::atomic<int> g_level{static_cast<int>(Level::error)};

constexpr std::string_view kNames[] = {"error", "warn", "info", "debug"};

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (int i = 0; i < 4; ++i)
    if (kNames[i] == name) return static_cast<Level>(i);
  return std::nullopt;
}

void set_level(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool enabled(Level level) {
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  std::string line = rfc3339(now_ms());
  line += ' ';
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // One write per line: a short write to stderr (a pipe or terminal) is not retried, so a
  // line is never split across another thread's.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cove::log
