// The message of what a call throws, so a test can check the words a user would see.
#pragma once

#include <exception>
#include <functional>
#include <string>

namespace cove::test {

// e.what() of the exception `f` throws; "(nothing thrown)" when it returns.
inline std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace cove::test
