// Latency samples and their percentiles; throughput runs timed over several threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace cove::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Pooled latency samples in milliseconds.
class Samples {
 public:
  void add(double ms) { ms_.push_back(ms); }
  size_t size() const { return ms_.size(); }
  // Nearest-rank percentile, q in [0, 100]; 0 when empty.
  double percentile(double q) const;
  double p50() const { return percentile(50); }

 private:
  std::vector<double> ms_;
};

// A throughput figure per round (e.g. sandboxes per second).
class Rates {
 public:
  void add(double per_second) { rates_.push_back(per_second); }
  double median() const;
  double best() const;

 private:
  std::vector<double> rates_;
};

// Runs `one` `per_thread` times on each of `threads` threads, all released together, and
// returns completed calls per second of wall time (thread creation excluded).
double run_parallel(int threads, int per_thread, const std::function<void()>& one);

// CPU time (user + system) of this process and its waited-for children, in milliseconds.
double cpu_ms();

}  // namespace cove::bench
