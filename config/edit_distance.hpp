#pragma once
/// Edit distance and "did you mean" suggestions for unknown config keys.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hetsgd {

/// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
/// two adjacent characters each cost 1, so the common typo "trian" is 1 away from "train".
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `name`, if it is close enough to be a plausible typo: distance at most
/// 3 and at most half the length of `name` (at least 1). Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view name,
                                         const std::vector<std::string>& candidates);

}  // namespace hetsgd
