// Shell commands on the host, for tests that set up fixtures with the CLI tools (git, openssl)
// or check their results with them.
#pragma once

#include <string>

namespace cove::test {

// Runs `/bin/sh -c command`; returns its exit code, or -1 when a signal ended it. With `output`,
// its stdout and stderr land there together; without, they go to the test's own.
int sh_status(const std::string& command, std::string* output = nullptr);
// Runs `/bin/sh -c command`; returns its stdout. Throws, naming the command and quoting its
// stderr, when the exit code is not 0.
std::string sh(const std::string& command);
// `s` as one single-quoted shell word.
std::string quote(const std::string& s);

}  // namespace cove::test
