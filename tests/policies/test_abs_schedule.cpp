// ABS (adaptive bounded staleness) schedules: K, the distinct workers a round waits for, grows
// with √(F(x⁰)/F(x^t)) every E rounds and never decreases; τ_max = max(1, ⌈N / K⌉).

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "policies/abs_schedule.hpp"

using namespace hetsgd;

CATCH_TEST_CASE("abs_k_schedule starts at k0", "[abs]") {
  abs_k_schedule s(8, 3, 5);
  CATCH_CHECK(s.k() == 3);
  CATCH_CHECK(s.workers() == 8);
  CATCH_CHECK(s.k0() == 3);
  CATCH_CHECK(s.rounds() == 0);
  CATCH_CHECK_FALSE(s.has_initial_loss());
}

CATCH_TEST_CASE("abs_k_schedule keeps K non-decreasing within 1 and N", "[abs]") {
  std::mt19937_64 rng(2301);
  for (std::size_t n : {1u, 2u, 5u, 16u, 64u}) {
    for (std::size_t every : {1u, 3u, 10u}) {
      abs_k_schedule s(n, 1 + (n - 1) / 3, every);
      std::lognormal_distribution<double> noise(0.0, 0.5);
      std::uniform_real_distribution<double> coin(0.0, 1.0);
      double trend = 5.0;
      std::size_t previous = s.k();
      bool grew = false;
      for (int round = 0; round < 3000; ++round) {
        trend *= 0.999;
        double loss = trend * noise(rng);
        const double c = coin(rng);
        if (c < 0.02)
          loss = std::numeric_limits<double>::quiet_NaN();
        else if (c < 0.03)
          loss = -loss;
        else if (c < 0.04)
          loss = 0.0;
        s.on_round(loss);
        CATCH_REQUIRE(s.k() >= previous);
        CATCH_REQUIRE(s.k() >= 1);
        CATCH_REQUIRE(s.k() <= n);
        grew = grew || s.k() > previous;
        previous = s.k();
      }
      // The loss fell by e^3 ≈ 20 in trend, so K reached N unless it started there.
      CATCH_CHECK(s.k() == n);
      CATCH_CHECK((grew || 1 + (n - 1) / 3 == n));
    }
  }
}

CATCH_TEST_CASE("abs_k_schedule doubles K when the loss falls by four", "[abs]") {
  abs_k_schedule s(16, 3, 2);
  s.on_round(8.0);  // round 1: F(x⁰) = 8, not an update round
  CATCH_CHECK(s.initial_loss() == 8.0);
  CATCH_CHECK(s.k() == 3);
  s.on_round(2.0);  // round 2: update, √(8/2) = 2 ⇒ ⌈3·2⌉ = 6
  CATCH_CHECK(s.k() == 6);
  s.on_round(0.5);  // round 3: not an update round
  CATCH_CHECK(s.k() == 6);
  s.on_round(0.5);  // round 4: √16 = 4 ⇒ 12
  CATCH_CHECK(s.k() == 12);
  s.on_round(0.125);  // round 5
  s.on_round(0.125);  // round 6: √64 = 8 ⇒ 24, capped at N = 16
  CATCH_CHECK(s.k() == 16);
}

CATCH_TEST_CASE("abs_k_schedule uses the ceiling and never lowers K", "[abs]") {
  abs_k_schedule s(10, 2, 1);
  s.on_round(1.0);  // F(x⁰) = 1, ratio 1 ⇒ K⁰ = 2
  CATCH_CHECK(s.k() == 2);
  s.on_round(1.0 / 1.21);  // √1.21 = 1.1 ⇒ ⌈2.2⌉ = 3
  CATCH_CHECK(s.k() == 3);
  s.on_round(3.0);  // loss rose: ⌈2·√(1/3)⌉ = 2 < 3, K stays
  CATCH_CHECK(s.k() == 3);
  s.on_round(1.0 / 2.25);  // √2.25 = 1.5 ⇒ exactly 3, no bump by rounding noise
  CATCH_CHECK(s.k() == 3);
  s.on_round(1e-300);  // enormous ratio ⇒ N
  CATCH_CHECK(s.k() == 10);
}

CATCH_TEST_CASE("abs_k_schedule tau_max is the ceiling of N over K", "[abs]") {
  for (std::size_t n = 1; n <= 20; ++n) {
    for (std::size_t k0 = 1; k0 <= n; ++k0) {
      abs_k_schedule s(n, k0, 1);
      CATCH_CHECK(s.tau_max() == (n + k0 - 1) / k0);
      CATCH_CHECK(s.tau_max() >= 1);
    }
  }
  abs_k_schedule s(10, 3, 1);
  CATCH_CHECK(s.tau_max() == 4);  // ⌈10/3⌉
  s.on_round(4.0);
  s.on_round(1.0);  // K = 6
  CATCH_CHECK(s.k() == 6);
  CATCH_CHECK(s.tau_max() == 2);  // ⌈10/6⌉
  s.on_round(0.25);               // K = 10
  CATCH_CHECK(s.tau_max() == 1);
}

CATCH_TEST_CASE("abs_k_schedule clamps K when workers leave and restores it when they return",
                "[abs]") {
  abs_k_schedule s(8, 6, 1);
  s.set_workers(4);
  CATCH_CHECK(s.k() == 4);
  CATCH_CHECK(s.workers() == 4);
  CATCH_CHECK(s.tau_max() == 1);
  s.set_workers(7);
  CATCH_CHECK(s.k() == 6);
  CATCH_CHECK(s.tau_max() == 2);  // ⌈7/6⌉
  s.set_workers(0);
  CATCH_CHECK(s.k() == 1);
  CATCH_CHECK(s.tau_max() == 1);
  s.set_workers(2);
  CATCH_CHECK(s.k() == 2);
  // While shrunk, the schedule still grows towards the largest worker count seen.
  s.on_round(1.0);
  s.on_round(0.25);  // ⌈6·2⌉ = 12 ⇒ capped at 8
  CATCH_CHECK(s.k() == 2);
  s.set_workers(8);
  CATCH_CHECK(s.k() == 8);
  // More workers than at the start: K may now grow up to them, but not by itself.
  s.set_workers(12);
  CATCH_CHECK(s.k() == 8);
  s.on_round(0.01);  // ⌈6·10⌉ ⇒ 12
  CATCH_CHECK(s.k() == 12);
}

CATCH_TEST_CASE("abs_k_schedule rejects bad arguments", "[abs]") {
  CATCH_CHECK_THROWS_AS(abs_k_schedule(8, 0, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_k_schedule(8, 9, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_k_schedule(0, 0, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_k_schedule(0, 1, 1), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_k_schedule(8, 2, 0), std::invalid_argument);
  CATCH_CHECK_THROWS_WITH(abs_k_schedule(8, 9, 1), Catch::Contains("k0"));
  CATCH_CHECK_NOTHROW(abs_k_schedule(8, 8, 1));
  CATCH_CHECK_NOTHROW(abs_k_schedule(1, 1, 1));
}

CATCH_TEST_CASE("abs_k_schedule ignores NaN and non-positive losses", "[abs]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  abs_k_schedule s(16, 2, 1);
  // None of these becomes F(x⁰), and none changes K.
  for (double bad : {nan, inf, -inf, 0.0, -1.0}) {
    s.on_round(bad);
    CATCH_CHECK_FALSE(s.has_initial_loss());
    CATCH_CHECK(s.k() == 2);
  }
  CATCH_CHECK(s.rounds() == 5);  // they still count as rounds
  s.on_round(9.0);               // F(x⁰) = 9
  CATCH_CHECK(s.initial_loss() == 9.0);
  CATCH_CHECK(s.k() == 2);
  s.on_round(nan);
  s.on_round(0.0);
  CATCH_CHECK(s.k() == 2);
  s.on_round(1.0);  // √9 = 3 ⇒ 6
  CATCH_CHECK(s.k() == 6);
  s.on_round(nan);
  CATCH_CHECK(s.k() == 6);

  // With E = 2 a bad loss on an update round skips that update until the next multiple of E.
  abs_k_schedule e(16, 2, 2);
  e.on_round(4.0);  // round 1: F(x⁰) = 4
  e.on_round(nan);  // round 2: update skipped
  CATCH_CHECK(e.k() == 2);
  e.on_round(1.0);  // round 3: not an update round
  CATCH_CHECK(e.k() == 2);
  e.on_round(1.0);  // round 4: √4 = 2 ⇒ 4
  CATCH_CHECK(e.k() == 4);
}
