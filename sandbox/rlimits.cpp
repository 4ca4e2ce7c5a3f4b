#include "sandbox/rlimits.hpp"

#include <sys/resource.h>

namespace cove::sandbox {

std::vector<wire::Rlimit> rlimits_for(const Limits& limits) {
  return {
      {RLIMIT_CORE, 0, 0},
      {RLIMIT_NOFILE, limits.open_files, limits.open_files},
      {RLIMIT_MEMLOCK, 64u << 20, 64u << 20},
      {RLIMIT_RTPRIO, 0, 0},
      {RLIMIT_NICE, 0, 0},
      {RLIMIT_MSGQUEUE, 1u << 20, 1u << 20},
  };
}

}  // namespace cove::sandbox
