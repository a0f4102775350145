#pragma once
/// DBS — dynamic batch size (arXiv 2007.11831). Synchronous SGD in which, once per epoch, every
/// worker's batch size b_i and data share r_i are reset in proportion to its speed measured in
/// the previous epoch; the global batch B stays fixed. Pure decision logic: this class only turns
/// throughput reports into plans; the batch controller actor pushes them to the runtime.
///
/// The math (dbs_partition): t_i = pure compute time of worker i over the last epoch,
/// p_i = r_i / t_i (its speed, in shares per second), q_i = B · p_i / Σp (real-valued quota),
/// b_i = integer rounding of q_i, new r_i = b_i / B.
///
/// Resolved details:
/// - Pure compute only: t_i is the sum of `throughput_report::compute_s` over the epoch. The
///   reporter already excludes time blocked in synchronization (waiting for the all-reduce or the
///   aggregator's release), so the policy never sees wall time and an injected wait in
///   synchronization cannot change a plan. `throughput_report::samples` is not used: the policy
///   knows each worker's batch from its own plan.
/// - Epoch boundary: K = iterations_per_epoch() = ⌊|D| / B⌋ (drop last; must be ≥ 1). Every report
///   counts as one iteration (one job) of its worker. The current epoch ends on the report that
///   brings the LAST worker to K reports in this epoch; then the re-partition is computed from the
///   epoch's totals, on_report returns the new plan for every worker, and all counters and
///   totals restart at zero. The boundary fires exactly once per epoch, i.e. after N · K reports
///   when workers run in lockstep. A plan is returned at every boundary, even when it equals the
///   previous one (the fixed point), so the controller sees each epoch end. Any other report
///   returns nullopt.
/// - A worker that already reported K iterations in the current epoch and reports again before the
///   epoch closed (cannot happen in lockstep synchronous SGD, but reports may be delivered late)
///   has that report carried over: it counts as an iteration, and its time as compute, of the
///   next epoch.
/// - Epoch 0 is the measurement epoch: initial() gives the equal split, b_i = ⌊B / N⌋ plus one
///   for the first B mod N workers (largest remainder of B / N with ties to the lower id, so
///   Σb = B), and r_i = b_i / B (exactly 1 / N when N divides B). initial() always rounds this
///   way, whatever the configured rounding.
/// - Rounding `largest_remainder` (default): b_i = ⌊q_i⌋, then the B − Σ⌊q⌋ leftover samples go
///   one each to the largest fractional parts (ties to the lower id). Then every b_i = 0 is raised
///   to 1, taking one sample from the worker with b_j ≥ 2 whose b_j − q_j is largest (ties to the
///   lower id). Result: b_i ≥ 1 and Σb_i = B exactly, always.
/// - Rounding `reference` (the reference code's ≥ 0.5 rule): b_i = ⌊q_i + 0.5⌋, raised to 1 if it
///   would be 0. Σb may then differ from B: three equally fast workers with B = 100 get
///   (33, 33, 33) — one sample lost; with B = 200 they get (67, 67, 67) — one sample added. Shares
///   are then r_i = b_i / Σb (not b_i / B) so that they still partition the data set (Σr = 1);
///   with largest remainder the two are identical. K stays ⌊|D| / B⌋, so with Σb > B a worker's
///   K · b_i samples may slightly exceed its slice r_i · |D|.
/// - A worker with t_i = 0 (no measurement) keeps its share: q_i = B · r_i. The workers with
///   t_i > 0 split the remaining B · Σ_{t>0} r among themselves in proportion to p_i. If no worker
///   was measured, the plan is unchanged (up to rounding).
/// - Fixed point: the partition is unchanged exactly when all t_i are equal, i.e. when each
///   worker's speed is proportional to its share, so everybody's epoch takes the same time. (If
///   instead t_i ∝ r_i, all speeds are equal and the next plan is the equal split.)
/// - Errors (std::invalid_argument, with the numbers): B < 1, N < 1, B < N (a worker would get
///   no sample), |D| < B (no full iteration per epoch), unknown rounding name, initial() called
///   with a worker count other than the constructor's, a report from an unknown worker, a
///   negative or non-finite compute_s. dbs_partition rejects negative or non-finite times,
///   non-positive or non-finite shares, mismatched sizes and B < N. on_report before initial()
///   throws std::logic_error.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/batch_policy.hpp"

namespace hetsgd {

enum class dbs_rounding {
  largest_remainder,  ///< Σb = B exactly, b_i ≥ 1
  reference,          ///< round half up (q ≥ x.5 rounds up), b_i ≥ 1; Σb may differ from B
};

/// "largest_remainder" or "reference"; throws std::invalid_argument otherwise.
dbs_rounding parse_dbs_rounding(const std::string& name);
std::string to_string(dbs_rounding r);

struct dbs_options {
  std::int64_t global_batch = 0;  ///< B, samples per synchronous iteration (all workers)
  std::int64_t dataset_size = 0;  ///< |D|, samples in the training set
  std::string rounding = "largest_remainder";  ///< "largest_remainder" or "reference"
};

class dbs_batch_policy final : public batch_policy {
 public:
  /// `workers` = N, the number of workers the plans are for (fixed for the run).
  dbs_batch_policy(const dbs_options& opts, std::size_t workers);

  std::string name() const override { return "dbs"; }
  /// The measurement epoch's equal split; `workers` must equal the constructor's.
  std::vector<batch_assignment> initial(std::size_t workers) override;
  /// Counts one iteration of r.worker and adds r.compute_s (seconds) to its epoch time; returns
  /// the re-partitioned plan on the report that closes the epoch, nullopt otherwise.
  std::optional<std::vector<batch_assignment>> on_report(const throughput_report& r) override;

  /// K = ⌊|D| / B⌋: iterations every worker runs per epoch.
  std::int64_t iterations_per_epoch() const { return iterations_per_epoch_; }
  /// Each plan is for one epoch: K rounds.
  std::int64_t plan_rounds() const override { return iterations_per_epoch_; }
  /// For checkpoints: the plan in force and the epochs completed (plan_state). The
  /// reports of the epoch in progress are not saved: a resumed run measures a fresh epoch on
  /// the restored plan (its workers are new incarnations).
  policy_state save_state() const override;
  /// Restores the plan; initial() then returns it. Throws std::invalid_argument for a missing
  /// batch, a worker count other than N, or batches that break b_i >= 1.
  void restore_state(const policy_state& s) override;
  /// Completed epochs (epoch boundaries seen so far).
  std::int64_t epochs_completed() const { return epochs_completed_; }
  /// The plan in force (empty before initial()).
  const std::vector<batch_assignment>& current_plan() const { return plan_; }

  /// The DBS re-partition. shares = r_i of the epoch just measured (> 0; normalized by their
  /// sum), times = t_i, pure compute seconds of that epoch (≥ 0; 0 = not measured, keeps its
  /// share), global_batch = B ≥ N. Returns b_i (samples per job), b_i ≥ 1; Σb = B with
  /// largest_remainder.
  static std::vector<std::int64_t> dbs_partition(const std::vector<double>& shares,
                                                 const std::vector<double>& times,
                                                 std::int64_t global_batch, dbs_rounding rounding);

  /// Shares r_i = b_i / Σb for a batch vector (= b_i / B when Σb = B).
  static std::vector<batch_assignment> plan_from_batches(const std::vector<std::int64_t>& batches);

 private:
  std::int64_t global_batch_;
  std::int64_t dataset_size_;
  dbs_rounding rounding_;
  std::size_t workers_;
  std::int64_t iterations_per_epoch_;
  std::int64_t epochs_completed_ = 0;
  bool started_ = false;
  std::vector<batch_assignment> restored_plan_;  ///< from restore_state: initial() returns it
  std::vector<batch_assignment> plan_;
  std::vector<std::int64_t> iterations_;  ///< reports of each worker in the current epoch
  std::vector<double> compute_s_;         ///< pure compute seconds of each worker this epoch
  std::vector<std::int64_t> carried_iterations_;  ///< early reports counted toward next epoch
  std::vector<double> carried_compute_s_;         ///< their compute seconds
};

}  // namespace hetsgd
