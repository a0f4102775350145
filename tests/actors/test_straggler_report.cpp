// The straggler report: step-time statistics and who the straggler is, on hand-made steps.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "actors/straggler_report.hpp"

using hetsgd::straggler_report;

CATCH_TEST_CASE("straggler report: min, median, max and EWMA of step times", "[straggler]") {
  straggler_report r(2, 0.5, 1.5);
  for (double s : {1.0, 3.0, 2.0, 10.0})
    r.on_step(0, s, 10);
  auto st = r.stats(0);
  CATCH_CHECK(st.steps == 4);
  CATCH_CHECK(st.min_s == 1.0);
  CATCH_CHECK(st.max_s == 10.0);
  CATCH_CHECK(st.median_s == Approx(2.5));
  // EWMA with alpha 0.5: 1 → 2 → 2 → 6.
  CATCH_CHECK(st.ewma_s == Approx(6.0));
  CATCH_CHECK(st.ewma_s_per_sample == Approx(0.6));
  CATCH_CHECK(r.stats(1).steps == 0);
  // A step without samples says nothing about speed.
  CATCH_CHECK(r.on_step(1, 5.0, 0).empty());
  CATCH_CHECK(r.stats(1).steps == 0);
}

CATCH_TEST_CASE("straggler report: the slowest worker well above the median is the straggler",
                "[straggler]") {
  straggler_report r(3, 1.0, 1.5);  // alpha 1: the EWMA is the last step
  CATCH_CHECK(r.on_step(0, 1.0, 100).empty());
  CATCH_CHECK(r.on_step(1, 1.0, 100).empty());
  CATCH_CHECK_FALSE(r.current());
  // Per sample, worker 2 takes 4x the median: it becomes the straggler.
  auto c = r.on_step(2, 2.0, 50);
  CATCH_REQUIRE(c.size() == 1);
  CATCH_CHECK(c[0].worker == 2);
  CATCH_CHECK(c[0].became);
  CATCH_CHECK(r.current() == hetsgd::worker_id{2});
  // Bigger steps of the same speed change nothing: the comparison is per sample.
  CATCH_CHECK(r.on_step(2, 8.0, 200).empty());
  // It recovers to 1.2x the median: below the 1.5x line, nobody is the straggler.
  c = r.on_step(2, 1.2, 100);
  CATCH_REQUIRE(c.size() == 1);
  CATCH_CHECK(c[0].worker == 2);
  CATCH_CHECK_FALSE(c[0].became);
  CATCH_CHECK_FALSE(r.current());
  // Worker 0 slows down 3x: it is the straggler now.
  c = r.on_step(0, 3.0, 100);
  CATCH_REQUIRE(c.size() == 1);
  CATCH_CHECK(c[0].worker == 0);
  CATCH_CHECK(c[0].became);
}

CATCH_TEST_CASE("straggler report: the straggler changes hands in one step", "[straggler]") {
  straggler_report r(3, 1.0, 1.5);
  r.on_step(0, 1.0, 100);
  r.on_step(1, 1.0, 100);
  r.on_step(2, 3.0, 100);
  CATCH_REQUIRE(r.current() == hetsgd::worker_id{2});
  auto c = r.on_step(1, 5.0, 100);  // median is now 3 (worker 2): 5 > 1.5 × 3
  CATCH_REQUIRE(c.size() == 2);
  CATCH_CHECK((c[0].worker == 2 && !c[0].became));
  CATCH_CHECK((c[1].worker == 1 && c[1].became));
}

CATCH_TEST_CASE("straggler report: a worker that left is no candidate and restarts fresh",
                "[straggler]") {
  straggler_report r(3, 0.5, 1.5);
  r.on_step(0, 1.0, 100);
  r.on_step(1, 1.0, 100);
  r.on_step(2, 4.0, 100);
  CATCH_REQUIRE(r.current() == hetsgd::worker_id{2});
  auto c = r.forget(2);
  CATCH_REQUIRE(c.size() == 1);
  CATCH_CHECK_FALSE(c[0].became);
  CATCH_CHECK_FALSE(r.current());
  // Its new incarnation's EWMA starts from its first step, not from the old one's.
  r.on_step(2, 1.0, 100);
  CATCH_CHECK(r.stats(2).ewma_s == Approx(1.0));
  CATCH_CHECK(r.stats(2).steps == 2);  // the history stays
  CATCH_CHECK_FALSE(r.current());
}

CATCH_TEST_CASE("straggler report: bad settings are refused", "[straggler]") {
  CATCH_CHECK_THROWS_AS(straggler_report(2, 0.0, 1.5), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(straggler_report(2, 1.5, 1.5), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(straggler_report(2, 0.5, 1.0), std::invalid_argument);
}

CATCH_TEST_CASE("straggler report: memory is bounded, the median covers the latest steps",
                "[straggler]") {
  straggler_report r(1, 0.5, 1.5);
  constexpr std::size_t window = straggler_report::median_window;
  // One very fast step, then a window of 1 s steps, then a window and a half of 3 s steps.
  r.on_step(0, 0.001, 10);
  for (std::size_t i = 0; i < window; ++i)
    r.on_step(0, 1.0, 10);
  CATCH_CHECK(r.stats(0).median_s == 1.0);
  for (std::size_t i = 0; i < window + window / 2; ++i)
    r.on_step(0, 3.0, 10);
  auto st = r.stats(0);
  CATCH_CHECK(st.steps == 1 + 2 * window + window / 2);  // every step counted
  CATCH_CHECK(st.min_s == 0.001);                        // min and max over all of them
  CATCH_CHECK(st.max_s == 3.0);
  CATCH_CHECK(st.median_s == 3.0);  // the 1 s steps fell out of the window
}
