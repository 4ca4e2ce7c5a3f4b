// Per-process resource limits every sandboxed command starts with.
#pragma once

#include <vector>

#include "sandbox/protocol.hpp"
#include "sandbox/spec.hpp"

namespace cove::sandbox {

// The rlimit table for `limits`: no core dumps, bounded open files and locked memory, no
// real-time or raised scheduling priority. Memory, pids and CPU are cgroup limits instead.
std::vector<wire::Rlimit> rlimits_for(const Limits& limits);

}  // namespace cove::sandbox
