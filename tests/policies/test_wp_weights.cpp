// WP-SGD weight functions: the aggregator combines models with weights a_i that grow with the
// work T_i each worker did. Invariants from POLICIES.md, checked for each weighting.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "policies/wp_weights.hpp"

using namespace hetsgd;

namespace {

constexpr double lr = 0.1;
constexpr double l2 = 0.01;  // ηλ = 1e-3

std::vector<double> weights(const std::vector<double>& t, wp_weighting w) {
  return wp_weights(t, w, lr, l2);
}

double sum(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}

const wp_weighting all_weightings[] = {wp_weighting::samples, wp_weighting::contraction,
                                       wp_weighting::uniform};

std::vector<double> random_work(std::mt19937_64& rng, std::size_t n) {
  std::uniform_int_distribution<int> steps(0, 2000);
  std::vector<double> t(n);
  for (auto& x : t)
    x = steps(rng);
  return t;
}

}  // namespace

CATCH_TEST_CASE("wp_weights are non-negative and sum to 1", "[wp]") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    auto t = random_work(rng, 1 + trial % 17);
    t[0] = 1 + trial;  // somebody worked
    for (auto w : all_weightings) {
      auto a = weights(t, w);
      CATCH_REQUIRE(a.size() == t.size());
      for (double x : a)
        CATCH_CHECK(x >= 0.0);
      CATCH_CHECK(std::abs(sum(a) - 1.0) <= 1e-12);
    }
  }
}

CATCH_TEST_CASE("wp_weights are permutation-invariant", "[wp]") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    auto t = random_work(rng, 2 + trial % 9);
    t[1] = 3;
    std::vector<std::size_t> perm(t.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<double> permuted(t.size());
    for (std::size_t i = 0; i < t.size(); ++i)
      permuted[i] = t[perm[i]];
    for (auto w : all_weightings) {
      auto a = weights(t, w);
      auto b = weights(permuted, w);
      for (std::size_t i = 0; i < t.size(); ++i)
        CATCH_CHECK(b[i] == a[perm[i]]);  // exact: sums are order-independent
    }
  }
}

CATCH_TEST_CASE("wp_weights are monotone in the work done", "[wp]") {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 100; ++trial) {
    auto t = random_work(rng, 2 + trial % 12);
    t[0] = 5;
    for (auto w : all_weightings) {
      auto a = weights(t, w);
      for (std::size_t i = 0; i < t.size(); ++i)
        for (std::size_t j = 0; j < t.size(); ++j)
          if (t[i] > t[j])
            CATCH_CHECK(a[i] >= a[j]);
      // Doing more work while the others stand still must not lower one's weight.
      auto more = t;
      more[1] += 50;
      CATCH_CHECK(weights(more, w)[1] >= a[1]);
    }
  }
  // Strictly for the work-based weightings.
  for (auto w : {wp_weighting::samples, wp_weighting::contraction}) {
    auto a = weights({10, 20, 40}, w);
    CATCH_CHECK(a[0] < a[1]);
    CATCH_CHECK(a[1] < a[2]);
  }
}

CATCH_TEST_CASE("wp_weights give zero weight to a worker without work", "[wp]") {
  for (auto w : {wp_weighting::samples, wp_weighting::contraction}) {
    auto a = weights({0, 7, 0, 3}, w);
    CATCH_CHECK(a[0] == 0.0);
    CATCH_CHECK(a[2] == 0.0);
    CATCH_CHECK(a[1] > 0.0);
    CATCH_CHECK(std::abs(sum(a) - 1.0) <= 1e-12);
  }
  // uniform ignores the work.
  auto u = weights({0, 7, 0, 3}, wp_weighting::uniform);
  for (double x : u)
    CATCH_CHECK(x == 0.25);
}

CATCH_TEST_CASE("wp_weights with equal work are uniform, as plain averaging", "[wp]") {
  for (std::size_t n : {1u, 2u, 3u, 7u, 10u}) {
    for (double t : {1.0, 13.0, 1e6}) {
      std::vector<double> work(n, t);
      for (auto w : all_weightings) {
        auto a = weights(work, w);
        for (double x : a)
          CATCH_CHECK(x == Approx(1.0 / double(n)).epsilon(1e-14));
        // Combining scalar "models" with the weights equals their plain mean.
        std::vector<double> models(n);
        for (std::size_t i = 0; i < n; ++i)
          models[i] = 0.5 * double(i) - 1.25;
        double combined = 0.0;
        for (std::size_t i = 0; i < n; ++i)
          combined += a[i] * models[i];
        CATCH_CHECK(combined == Approx(sum(models) / double(n)).margin(1e-12));
      }
    }
  }
}

CATCH_TEST_CASE("wp_weights contraction tends to uniform for long periods", "[wp]") {
  // (1 − ηλ)^T → 0 as T grows: every worker that did a lot of work gets ~1/N.
  const std::vector<double> t = {2e4, 5e4, 1e5};  // ηλ·T >= 20 ⇒ (1 − ηλ)^T < 3e-9
  auto a = weights(t, wp_weighting::contraction);
  for (double x : a)
    CATCH_CHECK(x == Approx(1.0 / 3.0).epsilon(1e-8));
  // And it is far from the samples weighting there.
  auto s = weights(t, wp_weighting::samples);
  CATCH_CHECK(std::abs(s[2] - a[2]) > 0.2);
}

CATCH_TEST_CASE("wp_weights contraction tends to samples as lr times l2 goes to 0", "[wp]") {
  const std::vector<double> t = {3, 10, 0, 55, 120};
  auto s = wp_weights(t, wp_weighting::samples);
  double previous_gap = 1.0;
  for (double rate : {1e-2, 1e-4, 1e-6, 1e-9, 1e-12}) {
    auto c = wp_weights(t, wp_weighting::contraction, rate, 1.0);
    double gap = 0.0;
    for (std::size_t i = 0; i < t.size(); ++i)
      gap = std::max(gap, std::abs(c[i] - s[i]));
    CATCH_CHECK(gap < previous_gap);
    CATCH_CHECK(gap <= 100.0 * rate);  // first-order in ηλ
    previous_gap = gap;
  }
  CATCH_CHECK(previous_gap < 1e-9);
}

CATCH_TEST_CASE("wp_weights when nobody worked are all zeros except uniform", "[wp]") {
  const std::vector<double> idle = {0, 0, 0};
  for (auto w : {wp_weighting::samples, wp_weighting::contraction}) {
    auto a = weights(idle, w);
    CATCH_REQUIRE(a.size() == 3);
    for (double x : a)
      CATCH_CHECK(x == 0.0);
  }
  for (double x : weights(idle, wp_weighting::uniform))
    CATCH_CHECK(x == Approx(1.0 / 3.0));
  for (auto w : all_weightings)
    CATCH_CHECK(weights({}, w).empty());
}

CATCH_TEST_CASE("wp_weights do not overflow on huge counts", "[wp]") {
  auto a = wp_weights({1e308, 1e308, 0}, wp_weighting::samples);
  CATCH_CHECK(a[0] == 0.5);
  CATCH_CHECK(a[1] == 0.5);
  CATCH_CHECK(a[2] == 0.0);
}

CATCH_TEST_CASE("wp_weights reject bad inputs", "[wp]") {
  for (auto w : all_weightings) {
    CATCH_CHECK_THROWS_AS(weights({1, -1, 2}, w), std::invalid_argument);
    CATCH_CHECK_THROWS_AS(weights({1, std::nan(""), 2}, w), std::invalid_argument);
    CATCH_CHECK_THROWS_AS(weights({1, HUGE_VAL, 2}, w), std::invalid_argument);
  }
  const std::vector<double> t = {1, 2};
  // Contraction needs 0 < ηλ < 1; the message names the values.
  CATCH_CHECK_THROWS_WITH(wp_weights(t, wp_weighting::contraction, 0.0, 0.01),
                          Catch::Contains("lr = 0") && Catch::Contains("l2 = 0.01"));
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction, 0.1, 0.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction, -0.1, -1.0),
                        std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction, 2.0, 0.5), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction, 10.0, 1.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_weights(t, wp_weighting::contraction, std::nan(""), 0.1),
                        std::invalid_argument);
  // samples and uniform ignore lr and l2.
  CATCH_CHECK_NOTHROW(wp_weights(t, wp_weighting::samples, -5.0, 7.0));
  CATCH_CHECK_NOTHROW(wp_weights(t, wp_weighting::uniform, -5.0, 7.0));
}

CATCH_TEST_CASE("parse_wp_weighting round-trips and lists the valid names", "[wp]") {
  for (auto w : all_weightings)
    CATCH_CHECK(parse_wp_weighting(to_string(w)) == w);
  CATCH_CHECK(parse_wp_weighting("samples") == wp_weighting::samples);
  CATCH_CHECK(parse_wp_weighting("contraction") == wp_weighting::contraction);
  CATCH_CHECK(parse_wp_weighting("uniform") == wp_weighting::uniform);
  CATCH_CHECK_THROWS_AS(parse_wp_weighting("Samples"), std::invalid_argument);
  CATCH_CHECK_THROWS_WITH(parse_wp_weighting("steps"),
                          Catch::Contains("samples") && Catch::Contains("contraction") &&
                            Catch::Contains("uniform") && Catch::Contains("steps"));
}
