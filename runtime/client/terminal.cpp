#include "runtime/client/terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace cove::client {

bool no_color() {
  const char* v = std::getenv("NO_COLOR");
  return v && *v;
}

bool use_color(int fd) {
  return !no_color() && ::isatty(fd) == 1;
}

}  // namespace cove::client
