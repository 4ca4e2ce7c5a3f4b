#pragma once

namespace cove {

// The cove release, printed by `cove --version` and sent as clientInfo/User-Agent.
const char* version();

}  // namespace cove
