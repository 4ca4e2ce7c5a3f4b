#include "base/version.hpp"

namespace cove {

const char* version() {
  return "0.1.0";
}

}  // namespace cove
