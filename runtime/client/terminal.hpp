// Whether the CLI colours what it writes: only on a terminal, and never when NO_COLOR is set
// to anything but the empty string (https://no-color.org).
#pragma once

namespace cove::client {

// NO_COLOR is set and not empty.
bool no_color();

// `fd` is a terminal and NO_COLOR does not forbid colour.
bool use_color(int fd);

}  // namespace cove::client
