// Times RepoCache session checkouts of one repository:
//   mounts_bench PRIVATE_URL PUBLIC_URL HOME RUNS TOKEN_ENV
// (the same repository served with and without authentication). Prints "key value" lines
// (milliseconds): cold (empty cache, private URL with the token: clone, prepared tree,
// mount), warm_p50/warm_p90 (public URL, mirror and prepared tree present, within the fetch
// TTL: no network), status_p50 (first `git status` inside a fresh warm checkout), and
// warm_checked_p50 (private URL: warm plus the per-session token check, one round trip).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mounts/repo_cache.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace cove::mounts;

constexpr Owner kOwner{1001000, 1001000};

double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

SessionCheckout checkout(RepoCache& cache, const std::string& id, const RepoSpec& spec) {
  CheckoutRequest r;
  r.session_id = id;
  r.repo = spec;
  r.mount_path = "/workspace/repo";
  r.owner = kOwner;
  return cache.checkout(r);
}

// git status as the checkout's owner, the way the sandbox user runs it first.
double first_status(const std::string& dir) {
  std::string cmd =
      "setpriv --reuid=1001000 --regid=1001000 --clear-groups env HOME=/nonexistent"
      " git -C '" +
      dir + "' status --porcelain >/dev/null";
  auto a = Clock::now();
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "git status failed in %s\n", dir.c_str());
  return ms(a, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: mounts_bench PRIVATE_URL PUBLIC_URL HOME RUNS TOKEN_ENV\n");
    return 2;
  }
  std::string url = argv[1];
  std::string public_url = argv[2];
  RepoCacheOptions options;
  options.root = std::string(argv[3]) + "/repos";
  int runs = std::atoi(argv[4]);
  std::string token = std::getenv(argv[5]) ? std::getenv(argv[5]) : "";
  try {
    RepoCache cache(options);
    RepoSpec spec{url, "", "", token, UpdatePolicy::if_stale};
    auto a = Clock::now();
    auto cold = checkout(cache, "bench-cold", spec);
    std::printf("cold %.1f\n", ms(a, Clock::now()));
    cache.release(cold.session_id);
    cache.release(
        checkout(cache, "bench-public", {public_url, "", "", "", UpdatePolicy::never}).session_id);

    // Warm: what a later session pays. Anonymous within the fetch TTL: no network at all.
    RepoSpec warm_spec{public_url, "", "", "", UpdatePolicy::if_stale};
    std::vector<double> warm, status;
    for (int i = 0; i < runs; ++i) {
      auto id = "bench-warm-" + std::to_string(i);
      auto b = Clock::now();
      auto co = checkout(cache, id, warm_spec);
      warm.push_back(ms(b, Clock::now()));
      if (i < 5) status.push_back(first_status(co.host_dir.string()));
      cache.release(id);
    }
    std::printf("warm_p50 %.2f\nwarm_p90 %.2f\nstatus_p50 %.1f\n", percentile(warm, 0.5),
                percentile(warm, 0.9), percentile(status, 0.5));
    if (!token.empty()) {
      // With a private repository every session proves its token first (one round trip).
      std::vector<double> checked;
      for (int i = 0; i < std::min(runs, 10); ++i) {
        auto id = "bench-auth-" + std::to_string(i);
        auto b = Clock::now();
        checkout(cache, id, spec);
        checked.push_back(ms(b, Clock::now()));
        cache.release(id);
      }
      std::printf("warm_checked_p50 %.2f\n", percentile(checked, 0.5));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mounts_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
