// Reading a whole file in a test. Header-only: the sandbox probe (tests/sandbox/probe.cpp),
// built on its own, uses it too.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace cove::test {

// The bytes of the file at `path`; empty when it cannot be read.
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace cove::test
