#pragma once
/// ABS (adaptive bounded staleness, arXiv 2301.08895), built on local SGD: a worker takes U
/// local SGD steps from the model it was given and uploads its model delta Δ = w_U − w_0. A round
/// closes when K^t uploads from distinct workers arrived: x ← x + (η_g / K^t) ΣΔ (η_g = 1 is
/// model averaging of the deltas). Contributors are released onto the new model. Every other
/// live worker whose job is now more than τ_max^t versions old is told to restart from the new
/// model; its discarded work is counted. K^t and τ_max^t follow abs_k_schedule (K
/// non-decreasing as the training loss falls, τ_max = max(1, ⌈N / K⌉)).
///
/// Resolved details:
/// - A worker's "current version" is the version of the last job it was given (start, release or
///   restart). An upload computed on any other version belongs to a job that a restart replaced:
///   it is dropped (`restarted`) and the worker released (it ignores a release that brings
///   nothing newer than the job it is on).
/// - An upload whose staleness (server version − its version) exceeds τ_max^t at arrival is
///   dropped (`stale`) and its worker released onto the latest model; so no applied contribution
///   is staler than τ_max^t even when τ_max shrank since the job started.
/// - The restart check after a close uses the new version and this round's τ_max^t.
/// - Each round applies exactly K^t distinct workers, in arrival order; with more pending than
///   K (only after K was clamped by a departure), the rest wait for the next round.
/// - Membership: departed workers' uploads are dropped (`crashed`), K is clamped to the live
///   count (abs_k_schedule::set_workers), joiners are released onto the current version.
/// - K = N and U = 1 with η_g = 1 is synchronous SGD: every round averages the N one-step deltas
///   −η ḡ_i, i.e. x − η · mean_i ḡ_i (equal to ssgd's sample-weighted mean for equal batches).
/// - The round event carries K^t and τ_max^t (annotations "k" and "tau_max").

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "policies/abs_schedule.hpp"
#include "policies/round_policy.hpp"

namespace hetsgd {

struct abs_options {
  std::size_t workers = 1;        ///< N at the start
  std::size_t k0 = 1;             ///< K⁰, in [1, N]
  std::size_t every_rounds = 10;  ///< E: rounds between K updates
  std::uint64_t local_steps = 4;  ///< U: local SGD steps per job
  double global_lr = 1.0;         ///< η_g on the summed deltas / K
};

class abs_policy final : public round_policy {
 public:
  /// Throws std::invalid_argument for a bad K⁰, E, U or a non-positive η_g.
  explicit abs_policy(abs_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context&) override { return {}; }
  round_decision on_membership_change(const policy_context& ctx) override;
  void on_round_applied(const policy_context& ctx, double train_loss) override;
  /// The K schedule (K*, rounds, F(x⁰)); the jobs in progress are not saved.
  policy_state save_state() const override { return schedule_.save_state(); }
  void restore_state(const policy_state& s) override { schedule_.restore_state(s); }

  const abs_k_schedule& schedule() const { return schedule_; }

 private:
  round_decision try_close(const policy_context& ctx, close_reason reason);

  abs_options opts_;
  policy_traits traits_;
  abs_k_schedule schedule_;
  std::map<worker_id, version_t> job_version_;  ///< version of each live worker's current job
  std::vector<contribution_meta> pending_;      ///< this round's uploads, in arrival order
  std::vector<worker_id> known_;
};

}  // namespace hetsgd
