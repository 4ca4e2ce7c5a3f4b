// "Did you mean …?": the nearest of a command's known words to a mistyped one.
#pragma once

#include <string>
#include <vector>

namespace cove::cli {

// The edit distance between two words (insertions, deletions, substitutions, and swaps of
// two neighbouring characters each count one).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` when it is near enough to be a likely typo (at most a third
// of the word's length away, at least 1 and at most 3 edits, or a prefix of it); "" when
// none is. Ties go to the earlier candidate.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace cove::cli
