#include "bench/sandbox/stats.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <latch>
#include <thread>

namespace cove::bench {

double Samples::percentile(double q) const {
  if (ms_.empty()) return 0;
  std::vector<double> sorted = ms_;
  std::sort(sorted.begin(), sorted.end());
  auto rank = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Rates::median() const {
  if (rates_.empty()) return 0;
  std::vector<double> sorted = rates_;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double Rates::best() const {
  return rates_.empty() ? 0 : *std::max_element(rates_.begin(), rates_.end());
}

double run_parallel(int threads, int per_thread, const std::function<void()>& one) {
  std::latch ready(threads);
  std::latch go(1);
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      ready.count_down();
      go.wait();
      for (int i = 0; i < per_thread; ++i)
        one();
    });
  ready.wait();
  Clock::time_point start = Clock::now();
  go.count_down();
  for (auto& w : workers)
    w.join();
  double seconds = ms_since(start) / 1000.0;
  return threads * per_thread / seconds;
}

double cpu_ms() {
  auto ms = [](const timeval& tv) { return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0; };
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return ms(self.ru_utime) + ms(self.ru_stime) + ms(children.ru_utime) + ms(children.ru_stime);
}

}  // namespace cove::bench
