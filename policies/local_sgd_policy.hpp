#pragma once
/// Local SGD (periodic model averaging): each worker takes H local SGD steps on its own replica,
/// then uploads its model; the round closes when every live worker uploaded on the current
/// version, and the new global model is the sample-weighted average of the uploaded models
/// (a_k = n_k / Σn, n_k = samples over the worker's H steps). Synchronous, so the round
/// structure is exactly ssgd's (deadline, late arrivals, membership changes); only the payload
/// and the combination differ. The aggregator's optimizer is not used: momentum does not apply.

#include <cstdint>
#include <map>

#include "policies/ssgd_policy.hpp"

namespace hetsgd {

struct local_sgd_options {
  std::uint64_t local_steps = 4;  ///< H: local optimizer steps per upload
  double round_timeout_s = 0.0;   ///< as ssgd's round deadline, seconds (0 = off)
};

class local_sgd_policy final : public round_policy {
 public:
  explicit local_sgd_policy(local_sgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override;
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  /// Turns ssgd's decision into a model average weighted by samples.
  round_decision to_model_average(round_decision d);

  policy_traits traits_;
  ssgd_policy rounds_;  ///< when rounds close, whom to release, what is late
  std::map<contribution_id, std::uint64_t> samples_;  ///< pending uploads' sample counts
};

}  // namespace hetsgd
