// Errors of the sandbox layer: every failure names the step that failed and why, so the
// caller can print one actionable line ("sandbox: cgroup: mkdir /sys/...: Permission denied").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cove::sandbox {

class SandboxError : public std::runtime_error {
 public:
  SandboxError(std::string step, const std::string& reason)
      : std::runtime_error(step + ": " + reason), step_(std::move(step)) {}
  // The isolation layer or operation that failed, e.g. "cgroup", "mount", "spawn".
  const std::string& step() const { return step_; }

 private:
  std::string step_;
};

// Throws SandboxError(step, "<call>: <strerror(err)>").
[[noreturn]] void throw_errno(std::string_view step, std::string_view call, int err);

// Throws SandboxError with the current errno when `result` is -1; returns it otherwise.
inline long check(long result, std::string_view step, std::string_view call);

}  // namespace cove::sandbox

#include <cerrno>

inline long cove::sandbox::check(long result, std::string_view step, std::string_view call) {
  if (result == -1) throw_errno(step, call, errno);
  return result;
}
