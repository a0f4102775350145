#pragma once
/// OD-SGD (one-step delay SGD, arXiv 2005.06728). The server is synchronous: round t closes when
/// every live worker pushed its gradient for iteration t, and W^{t+1} = W^t − η_g · Σg / Σn.
/// Workers (worker_mode::delayed_local) overlap: after a warm-up of `warmup_rounds` plain ssgd
/// rounds, a worker that pushed g_t does not wait for W^{t+1}; it takes W^t (the answer to its
/// previous push), sets w̃ = W^t − (η_l / N) · g_t / n_t — a fresh copy of the global weights plus
/// its own latest step, never chained on the previous w̃ — and computes iteration t + 1 while
/// round t is still being reduced. Its push for iteration t + 1 is tagged with version t + 1 (the
/// round it belongs to), so a contribution may arrive one version ahead of the server.
///
/// Resolved details:
/// - Contributions are collected per tagged version; one tagged current + 1 waits for the next
///   round. One tagged more than one ahead would break the delay bound and is dropped
///   (`stale`, with a release); one tagged behind the server is dropped `late` and released.
/// - A worker is released once per round it contributed to: each release answers its oldest
///   outstanding push (the aggregator keeps them in order).
/// - A departed worker's pending contributions are dropped (`crashed`) and the round closes over
///   the live workers (reason `membership`); a joiner is released onto the current version.
/// - Optional delay compensation (dc_lambda > 0): the local step uses g + λ·g⊙g⊙(W^t − w̃_t),
///   w̃_t being the weights g_t was computed at (gpu/local_compensation.hpp).
/// - η_l defaults to η_g; with N = 1, η_l = η_g and no momentum the run equals sequential SGD;
///   η_l = 0 gives SGD with gradients delayed by one step.

#include <cstdint>
#include <map>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

struct od_sgd_options {
  std::uint64_t warmup_rounds = 200;  ///< plain ssgd rounds before the delayed local updates
  double local_lr = -1.0;             ///< η_l on the worker's mean gradient (< 0: η_g)
  /// λ of DC-ASGD's delay-compensated local rule g + λ·g⊙g⊙(W − w_then) (0 = plain step; the
  /// DC-ASGD paper uses 0.04).
  double dc_lambda = 0.0;
};

class od_sgd_policy final : public round_policy {
 public:
  explicit od_sgd_policy(od_sgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context&) override { return {}; }
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  /// Closes round ctx.version when every live worker pushed for it.
  round_decision try_close(const policy_context& ctx, close_reason reason);

  policy_traits traits_;
  /// Pending pushes by the version (round) they are tagged with, then by worker.
  std::map<version_t, std::map<worker_id, contribution_meta>> pending_;
  std::vector<worker_id> known_;
};

}  // namespace hetsgd
