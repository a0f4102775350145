#pragma once
/// ABS-SGD (delayed synchronous SGD with adaptive batch size, arXiv 2308.15164). Workers never
/// stop computing: each accumulates the gradient sum A and sample count n of its micro-batches at
/// its current weights (worker_mode::continuous). At every synchronization the aggregator asks
/// all live workers to hand over (A, n) (request_upload; a worker finishes the micro-batch in
/// flight first); when every asked worker's contribution is in, the round closes with the
/// sample-weighted mean ΣA / Σn and everybody is released. A worker keeps computing on its old
/// weights while the reduction runs and adopts the released weights only at the next
/// synchronization, when it hands over the next accumulator. So iteration t is computed at
/// w_t and the update that ends it uses the gradients of iteration t − 1, taken at w_{t−1}:
/// w_{t+1} = w_t − η ΣA^{t−1} / Σn^{t−1}, with no update after iteration 0. Batch sizes are
/// implicit: a worker of speed s hands over about s × (iteration time) samples.
///
/// Triggers of the next synchronization (abs_sgd_trigger):
/// - `comm`: as soon as the previous round closed (iteration length ≈ communication time; in
///   one process that is about one micro-batch);
/// - `period`: every period_s seconds, measured from the previous synchronization's start; if a
///   round is still open when the period ends, the next synchronization starts when it closes;
/// - `samples`: when the cluster-wide count is expected to reach target_samples. The aggregator
///   sees counts only when workers hand them over, so the time is estimated from the previous
///   iteration's rate Σn / duration (the first iteration lasts period_s).
///
/// Resolved details:
/// - Learning rate: fixed η on the mean; with linear_lr_scaling the round's rate is
///   η · Σn / reference_batch (annotation "lr_scale").
/// - A worker that finished no micro-batch hands over (0, 0): it is applied with no effect. A
///   round in which nobody computed anything does not change the model (the aggregator skips an
///   update over zero samples).
/// - A contribution that answers no request (or a second one from the same worker) is dropped as
///   `late` and its worker released; one from a worker no longer live is dropped as `crashed`.
/// - A departed worker's pending contribution is dropped (`crashed`) and the round closes over
///   the others (reason `membership`); a joiner is released at once and asked at the next sync.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

enum class abs_sgd_trigger { comm, period, samples };

/// "comm" | "period" | "samples"; throws std::invalid_argument otherwise.
abs_sgd_trigger parse_abs_sgd_trigger(const std::string& name);
const char* to_string(abs_sgd_trigger t);

struct abs_sgd_options {
  abs_sgd_trigger trigger = abs_sgd_trigger::period;
  double period_s = 0.1;             ///< seconds between synchronizations (period trigger)
  std::uint64_t target_samples = 0;  ///< cluster-wide samples per iteration (samples trigger)
  /// Linear learning-rate scaling: each update's rate is multiplied by Σn / reference_batch, so
  /// that a large implicit batch moves the model as far as that many reference batches would.
  bool linear_lr_scaling = false;
  std::uint64_t reference_batch = 0;  ///< samples; required with linear_lr_scaling
};

class abs_sgd_policy final : public round_policy {
 public:
  /// Throws std::invalid_argument for period_s <= 0, or the samples trigger without a target.
  explicit abs_sgd_policy(abs_sgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override;
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  /// Asks every live worker to hand over its accumulator; starts an iteration's reduction.
  void request_sync(const policy_context& ctx, round_decision& d);
  /// Closes the round when every asked live worker handed over.
  round_decision try_close(const policy_context& ctx, close_reason reason);
  /// When the next synchronization is due, after one that started at `sync_at_s`.
  double next_sync_after(double sync_at_s, double iteration_s, std::uint64_t samples) const;

  abs_sgd_options opts_;
  policy_traits traits_;
  bool open_ = false;                  ///< uploads requested, round not closed
  double last_sync_at_s_ = 0.0;        ///< when the current/last sync was requested
  double iteration_began_at_s_ = 0.0;  ///< the sync before it (or the start)
  double next_sync_at_s_ = 0.0;
  std::vector<worker_id> asked_;                    ///< workers asked at the open sync (sorted)
  std::map<worker_id, contribution_meta> pending_;  ///< hand-overs of the open sync
  std::vector<worker_id> known_;                    ///< live set last seen, to tell who joined
};

}  // namespace hetsgd
