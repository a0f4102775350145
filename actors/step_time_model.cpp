#include "actors/step_time_model.hpp"

#include <cmath>
#include <stdexcept>

namespace hetsgd {

step_noise parse_step_noise(const std::string& name) {
  if (name == "constant")
    return step_noise::constant;
  if (name == "shifted_exponential")
    return step_noise::shifted_exponential;
  if (name == "lognormal")
    return step_noise::lognormal;
  throw std::invalid_argument(
    "step noise: must be one of constant, shifted_exponential, "
    "lognormal; got \"" +
    name + "\"");
}

const char* to_string(step_noise n) {
  switch (n) {
    case step_noise::constant: return "constant";
    case step_noise::shifted_exponential: return "shifted_exponential";
    case step_noise::lognormal: return "lognormal";
  }
  return "?";
}

step_time_model::step_time_model(double base_rate, double speed, step_noise_params noise,
                                 std::uint64_t seed)
    : base_rate_(base_rate), speed_(speed), noise_(noise), rng_(seed) {
  if (!(base_rate > 0.0) || !std::isfinite(base_rate))
    throw std::invalid_argument("step time: base_rate must be > 0, got " +
                                std::to_string(base_rate));
  if (!(speed > 0.0) || !std::isfinite(speed))
    throw std::invalid_argument("step time: speed must be > 0, got " + std::to_string(speed));
  if (noise.kind == step_noise::shifted_exponential && !(noise.mean > 0.0))
    throw std::invalid_argument("step time: shifted_exponential needs mean > 0, got " +
                                std::to_string(noise.mean));
  if (noise.kind == step_noise::lognormal && !(noise.sigma > 0.0))
    throw std::invalid_argument("step time: lognormal needs sigma > 0, got " +
                                std::to_string(noise.sigma));
}

double step_time_model::modelled_seconds(std::int64_t samples, double fault_factor) const {
  return static_cast<double>(samples) / (base_rate_ * speed_) * fault_factor;
}

double step_time_model::seconds(std::int64_t samples, double fault_factor) {
  const double t = modelled_seconds(samples, fault_factor);
  switch (noise_.kind) {
    case step_noise::constant: return t;
    case step_noise::shifted_exponential:
      return t * (1.0 + std::exponential_distribution<double>(1.0 / noise_.mean)(rng_));
    case step_noise::lognormal: {
      const double s = noise_.sigma;
      return t * std::lognormal_distribution<double>(-0.5 * s * s, s)(rng_);
    }
  }
  return t;
}

}  // namespace hetsgd
