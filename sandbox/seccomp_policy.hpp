// The seccomp denylist every sandboxed command runs under.
//
// Default action: allow. Listed syscalls fail with an errno (never silently succeed); a
// foreign architecture (ia32 via int 0x80, x32) kills the process. The policy is data so
// that tests can call every rule with allowed and denied arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cove::sandbox::seccomp {

// A condition on one syscall argument.
struct ArgMatch {
  enum class Op { kMaskedEq, kNotEq };
  unsigned index = 0;
  Op op = Op::kMaskedEq;
  uint64_t mask = 0;  // kMaskedEq: (arg & mask) == value
  uint64_t value = 0;
};

struct Rule {
  std::string_view syscall;
  int error = 0;                 // errno returned to the caller
  std::optional<ArgMatch> when;  // the whole syscall when empty
  std::string_view why;
};

// cove's default profile (DESIGN.md, research/sandbox.md §3.4).
const std::vector<Rule>& default_policy();

// Compiles `rules` into a classic BPF program (struct sock_filter[] as bytes).
// Throws SandboxError("seccomp", ...).
std::string compile(const std::vector<Rule>& rules);

// default_policy() compiled once per process; thread-safe.
const std::string& default_program();

}  // namespace cove::sandbox::seccomp
