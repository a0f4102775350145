// The simulated clock's step-time model: modelled time, fault factors and seeded noise, checked
// against their closed forms on many draws.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "actors/step_time_model.hpp"

using namespace hetsgd;

namespace {

std::vector<double> draws(step_noise_params noise, std::uint64_t seed, int n = 20000) {
  step_time_model m(1000.0, 0.5, noise, seed);  // 64 samples: 64 / 500 = 0.128 s
  std::vector<double> out;
  for (int i = 0; i < n; ++i)
    out.push_back(m.seconds(64));
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

CATCH_TEST_CASE("step time: n / (base_rate x speed) times the fault factor, exactly",
                "[step_time]") {
  step_time_model m(1000.0, 0.25, {}, 1);
  CATCH_CHECK(m.seconds(32) == 32.0 / 250.0);
  CATCH_CHECK(m.seconds(32, 4.0) == 4.0 * 32.0 / 250.0);
  CATCH_CHECK(m.modelled_seconds(100) == 0.4);
}

CATCH_TEST_CASE("step time: shifted exponential is never below the model, mean 1 + mean",
                "[step_time]") {
  auto v = draws({step_noise::shifted_exponential, 0.5, 0.0}, 7);
  CATCH_CHECK(*std::min_element(v.begin(), v.end()) >= 0.128);
  CATCH_CHECK(mean_of(v) == Approx(0.128 * 1.5).epsilon(0.02));
  // A long tail: some draws beyond 3x the model (P = e^-4 ≈ 1.8 % at mean 0.5).
  auto tail = std::count_if(v.begin(), v.end(), [](double x) { return x > 3 * 0.128; });
  CATCH_CHECK(tail > 200);
  CATCH_CHECK(tail < 550);
}

CATCH_TEST_CASE("step time: lognormal noise has mean 1 and the given spread", "[step_time]") {
  auto v = draws({step_noise::lognormal, 0.0, 0.3}, 7);
  CATCH_CHECK(mean_of(v) == Approx(0.128).epsilon(0.02));
  double s2 = 0.0;
  for (double x : v)
    s2 += std::pow(std::log(x / 0.128) + 0.5 * 0.09, 2);
  CATCH_CHECK(std::sqrt(s2 / static_cast<double>(v.size())) == Approx(0.3).epsilon(0.03));
}

CATCH_TEST_CASE("step time: the same seed gives the same draws", "[step_time]") {
  step_noise_params p{step_noise::shifted_exponential, 0.2, 0.0};
  CATCH_CHECK(draws(p, 3, 100) == draws(p, 3, 100));
  CATCH_CHECK(draws(p, 3, 100) != draws(p, 4, 100));
}

CATCH_TEST_CASE("step time: bad parameters are refused by name", "[step_time]") {
  CATCH_CHECK_THROWS_WITH(step_time_model(0.0, 1.0, {}, 1),
                          "step time: base_rate must be > 0, got 0.000000");
  CATCH_CHECK_THROWS_WITH(step_time_model(10.0, -1.0, {}, 1),
                          "step time: speed must be > 0, got -1.000000");
  CATCH_CHECK_THROWS_WITH(step_time_model(10.0, 1.0, {step_noise::lognormal, 0.0, 0.0}, 1),
                          "step time: lognormal needs sigma > 0, got 0.000000");
  CATCH_CHECK_THROWS_WITH(parse_step_noise("gauss"),
                          "step noise: must be one of constant, shifted_exponential, lognormal; "
                          "got \"gauss\"");
  CATCH_CHECK(parse_step_noise("lognormal") == step_noise::lognormal);
  CATCH_CHECK(std::string(to_string(step_noise::shifted_exponential)) == "shifted_exponential");
}
