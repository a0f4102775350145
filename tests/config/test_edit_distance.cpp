#include <catch2/catch.hpp>

#include "config/edit_distance.hpp"

using hetsgd::closest_match;
using hetsgd::edit_distance;

CATCH_TEST_CASE("edit_distance counts insertions, deletions, substitutions, transpositions",
                "[config][edit_distance]") {
  CATCH_CHECK(edit_distance("", "") == 0);
  CATCH_CHECK(edit_distance("abc", "") == 3);
  CATCH_CHECK(edit_distance("", "ab") == 2);
  CATCH_CHECK(edit_distance("train.lr", "train.lr") == 0);
  CATCH_CHECK(edit_distance("train.lrr", "train.lr") == 1);  // insertion
  CATCH_CHECK(edit_distance("train.l", "train.lr") == 1);    // deletion
  CATCH_CHECK(edit_distance("train.lx", "train.lr") == 1);   // substitution
  CATCH_CHECK(edit_distance("trian", "train") == 1);         // adjacent transposition
  CATCH_CHECK(edit_distance("kitten", "sitting") == 3);
  CATCH_CHECK(edit_distance("abc", "xyz") == 3);
}

CATCH_TEST_CASE("closest_match suggests only plausible typos", "[config][edit_distance]") {
  const std::vector<std::string> names{"train", "train.lr", "cluster.workers", "policy.ssgd",
                                       "policy.asgd"};
  CATCH_CHECK(closest_match("trian", names) == std::optional<std::string>("train"));
  CATCH_CHECK(closest_match("train.lrr", names) == std::optional<std::string>("train.lr"));
  CATCH_CHECK(closest_match("cluster.wrokers", names) ==
              std::optional<std::string>("cluster.workers"));
  // Ties go to the earlier candidate.
  CATCH_CHECK(closest_match("policy.sgd", names) == std::optional<std::string>("policy.ssgd"));
  // Too far: no suggestion rather than a wild guess.
  CATCH_CHECK_FALSE(closest_match("policy.foo", names).has_value());
  CATCH_CHECK_FALSE(closest_match("xyz", names).has_value());
  // Short names allow at most half their length.
  CATCH_CHECK_FALSE(closest_match("ab", {"xy"}).has_value());
  CATCH_CHECK(closest_match("ab", {"abc"}) == std::optional<std::string>("abc"));
}
