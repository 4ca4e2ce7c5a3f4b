// What `cove` prints for a command line it cannot parse: one line naming the word, the cause
// and the fix, instead of CLI11's generic messages. An unknown command or option is named with
// the nearest known one ("unknown command 'sandox'; did you mean 'sandbox'?"); extra words of
// a command that takes a task are listed in order with a hint to quote the task. Words that
// follow an unknown option are never repeated: they may be secrets (`--bearer ghp_…`).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace cove::cli {

// `leftover` holds the words CLI11 did not consume, in command-line order.
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error,
                                const std::vector<std::string>& leftover);

}  // namespace cove::cli
