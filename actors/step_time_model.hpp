#pragma once
/// How long a micro-batch takes on the simulated clock (issue 5's virtual time): n samples on a
/// worker of relative speed s take n / (base_rate × s) seconds, times the factor of any fault
/// slowing it, times seeded noise. Pure logic (no actors), unit-tested on its own; the simulated
/// clock's scheduler asks it for every micro-batch.
///
/// Noise is a multiplicative factor on the modelled time, drawn per micro-batch:
/// - constant: 1 (no noise);
/// - shifted_exponential: 1 + E with E exponential of mean `mean` — never faster than the
///   model, with the long tail of the straggler model common in this literature;
/// - lognormal: exp(N(−σ²/2, σ)), mean 1 with spread σ.

#include <cstdint>
#include <random>
#include <string>

namespace hetsgd {

enum class step_noise { constant, shifted_exponential, lognormal };

/// "constant" | "shifted_exponential" | "lognormal"; throws std::invalid_argument naming the text.
step_noise parse_step_noise(const std::string& name);
const char* to_string(step_noise n);

struct step_noise_params {
  step_noise kind = step_noise::constant;
  double mean = 0.0;   ///< shifted_exponential: mean of the exponential part (0.5 = +50 %)
  double sigma = 0.0;  ///< lognormal: σ of the underlying normal
};

class step_time_model {
 public:
  /// `base_rate` samples/s at speed 1 (> 0), `speed` > 0; throws std::invalid_argument naming
  /// the bad value.
  step_time_model(double base_rate, double speed, step_noise_params noise, std::uint64_t seed);

  /// Virtual seconds for `samples` samples while a fault multiplies the time by `fault_factor`
  /// (1 = none). Draws one noise sample.
  double seconds(std::int64_t samples, double fault_factor = 1.0);

  /// The same without noise: n / (base_rate × speed) × fault_factor.
  double modelled_seconds(std::int64_t samples, double fault_factor = 1.0) const;

 private:
  double base_rate_;
  double speed_;
  step_noise_params noise_;
  std::mt19937_64 rng_;
};

}  // namespace hetsgd
