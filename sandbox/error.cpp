#include "sandbox/error.hpp"

#include <cstring>

namespace cove::sandbox {

void throw_errno(std::string_view step, std::string_view call, int err) {
  throw SandboxError(std::string(step), std::string(call) + ": " + std::strerror(err));
}

}  // namespace cove::sandbox
