#pragma once
/// WP-SGD (weighted parallel SGD): workers run local SGD steps on their replicas without pause;
/// every `period_s` the aggregator asks every live worker to upload its model (a worker finishes
/// the local step in progress first), and when all uploads of the period are in, the new global
/// model is Σ a_i w_i with weights from the work each worker did (wp_weights: `samples` a_i ∝ its
/// samples, `contraction` a_i ∝ 1 − (1 − ηλ)^{T_i} with T_i its local steps, or `uniform`).
/// Everybody is then released onto the new model and the next period starts. Fast workers do
/// more steps per period and weigh more, so slow ones no longer drag the average down.
///
/// Resolved details:
/// - The period is measured from the release of the previous average (or the start), seconds.
/// - If nobody did any work in a period (all weights 0), the models are averaged uniformly:
///   every upload then equals the global model, so the model is unchanged.
/// - An upload on an older version, or from a non-member, is dropped (`late` / `crashed`);
///   a departed worker's pending upload is dropped as `crashed` and the period closes without
///   it (reason `membership`); a joining worker is released at once and asked at the next period
///   (the open period does not wait for it; when it closes, the joiner is restarted on the new
///   model, its few local steps on the old one discarded and counted).

#include <cstdint>
#include <map>
#include <vector>

#include "policies/round_policy.hpp"
#include "policies/wp_weights.hpp"

namespace hetsgd {

struct wp_sgd_options {
  double period_s = 1.0;  ///< seconds between model averages
  wp_weighting weighting = wp_weighting::samples;
  double lr = 0.0;  ///< η of the local steps (contraction weighting), 1/sample
  double l2 = 0.0;  ///< λ, the L2 coefficient (contraction weighting)
};

class wp_sgd_policy final : public round_policy {
 public:
  /// Throws std::invalid_argument for period_s <= 0, or contraction without 0 < ηλ < 1.
  explicit wp_sgd_policy(wp_sgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override;
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  /// Closes the period when every asked live worker uploaded.
  round_decision try_close(const policy_context& ctx, close_reason reason);

  wp_sgd_options opts_;
  policy_traits traits_;
  bool asked_ = false;                    ///< uploads requested this period
  std::vector<worker_id> asked_workers_;  ///< who was asked (sorted)
  double next_request_at_s_ = 0.0;
  std::map<worker_id, contribution_meta> pending_;  ///< this period's uploads
  std::vector<worker_id> known_;                    ///< live set last seen, to tell who joined
};

}  // namespace hetsgd
