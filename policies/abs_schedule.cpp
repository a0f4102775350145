#include "policies/abs_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hetsgd {

namespace {

bool usable_loss(double f) {
  return std::isfinite(f) && f > 0.0;
}

/// ⌈x⌉ for x >= 0, forgiving a relative rounding error of 1e-12 (3.0000000000001 → 3).
double tolerant_ceil(double x) {
  return std::ceil(x * (1.0 - 1e-12));
}

}  // namespace

abs_k_schedule::abs_k_schedule(std::size_t workers, std::size_t k0, std::size_t every_rounds)
    : workers_(workers), max_workers_(workers), k0_(k0), every_(every_rounds), target_(k0) {
  if (workers == 0)
    throw std::invalid_argument("abs_k_schedule: workers must be >= 1");
  if (k0 == 0 || k0 > workers)
    throw std::invalid_argument("abs_k_schedule: k0 must be in [1, workers = " +
                                std::to_string(workers) + "]; got " + std::to_string(k0));
  if (every_rounds == 0)
    throw std::invalid_argument("abs_k_schedule: every_rounds must be >= 1");
}

std::size_t abs_k_schedule::k() const {
  return std::max<std::size_t>(1, std::min(target_, workers_));
}

void abs_k_schedule::on_round(double train_loss) {
  ++rounds_;
  if (!usable_loss(train_loss))
    return;
  if (!has_f0_) {
    has_f0_ = true;
    f0_ = train_loss;
  }
  if (rounds_ % every_ != 0)
    return;
  const double wanted = tolerant_ceil(double(k0_) * std::sqrt(f0_ / train_loss));
  // Compare in double before converting: a tiny loss may make `wanted` huge or inf.
  const double cap = double(max_workers_);
  const std::size_t next = wanted >= cap ? max_workers_ : static_cast<std::size_t>(wanted);
  target_ = std::max(target_, next);
}

std::size_t abs_k_schedule::tau_max() const {
  const std::size_t kk = k();
  return std::max<std::size_t>(1, (workers_ + kk - 1) / kk);
}

void abs_k_schedule::set_workers(std::size_t live) {
  workers_ = live;
  max_workers_ = std::max(max_workers_, live);
}

policy_state abs_k_schedule::save_state() const {
  return {{"abs.k_target", double(target_)},
          {"abs.rounds", double(rounds_)},
          {"abs.has_initial_loss", has_f0_ ? 1.0 : 0.0},
          {"abs.initial_loss", f0_},
          {"abs.max_workers", double(max_workers_)}};
}

void abs_k_schedule::restore_state(const policy_state& s) {
  const double max_workers = state_value(s, "abs.max_workers", "abs");
  const double target = state_value(s, "abs.k_target", "abs");
  const double rounds = state_value(s, "abs.rounds", "abs");
  if (!(max_workers >= 1.0) || !(target >= 1.0) || target > max_workers || !(rounds >= 0.0))
    throw std::invalid_argument(
      "abs: saved state out of range (k_target " + std::to_string(target) + ", max_workers " +
      std::to_string(max_workers) + ", rounds " + std::to_string(rounds) + ")");
  max_workers_ = std::max(max_workers_, static_cast<std::size_t>(max_workers));
  target_ = static_cast<std::size_t>(target);
  rounds_ = static_cast<std::uint64_t>(rounds);
  has_f0_ = state_value(s, "abs.has_initial_loss", "abs") != 0.0;
  f0_ = state_value(s, "abs.initial_loss", "abs");
}

}  // namespace hetsgd
