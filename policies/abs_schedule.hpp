#pragma once
/// ABS (adaptive bounded staleness, arXiv 2301.08895): the schedules of K, the number of distinct
/// workers a round waits for, and of τ_max, the staleness (in versions) beyond which a worker is
/// told to restart from the latest model. Pure bookkeeping on the training loss; the round policy
/// that uses it is wired in elsewhere.
///
/// Defaults from POLICIES.md: every E rounds K ← min(N, max(K, ⌈K⁰·√(F(x⁰)/F(x^t))⌉)) with F the
/// training loss, and τ_max = max(1, ⌈N / K⌉). As the loss falls K grows towards N (less noise
/// from stragglers' absence, more like synchronous SGD) and the staleness bound tightens.
///
/// Resolved details:
/// - Every on_round call counts as one round, whatever its loss. K is updated on rounds E, 2E,
///   3E, … using that round's loss. F(x⁰) is the first usable loss seen (on any round).
/// - A loss that is NaN, ±inf, zero or negative is unusable: it is neither taken as F(x⁰) nor
///   used for an update (the ratio F(x⁰)/F(x^t) would be meaningless); the round still counts,
///   so an update round with an unusable loss is simply skipped until the next multiple of E.
/// - ⌈·⌉ tolerates a relative rounding error of 1e-12, so that e.g. a loss ratio that is a
///   perfect square up to floating-point noise does not bump K by one.
/// - Without membership changes K is non-decreasing and stays in [1, N].
/// - set_workers(live): the schedule keeps its own non-decreasing target K*, and k() reports
///   K* clamped into [1, live]. So K shrinks only when workers leave, and returns to K* (not
///   beyond) when they come back. The cap N of the update rule is the largest worker count seen
///   (construction or set_workers), so progress made before a departure is not lost.
/// - live = 0 (nobody left): k() = 1 and tau_max() = 1; no round can close then anyway.

#include <cstddef>
#include <cstdint>

#include "policies/policy_state.hpp"

namespace hetsgd {

class abs_k_schedule {
 public:
  /// `workers`: N, the worker count at the start (>= 1). `k0`: K⁰, the initial K, in [1, N].
  /// `every_rounds`: E >= 1, rounds between K updates. Violations throw std::invalid_argument.
  abs_k_schedule(std::size_t workers, std::size_t k0, std::size_t every_rounds);

  /// K^t: distinct workers the current round waits for, in [1, max(1, live workers)].
  std::size_t k() const;
  /// Records a closed round with its training loss F(x^t) (mean per-sample loss, any unit as
  /// long as it is the same every round); updates K every E rounds.
  void on_round(double train_loss);
  /// τ_max^t = max(1, ⌈N / K⌉) in versions, with N the current live worker count.
  std::size_t tau_max() const;
  /// Membership changed: `live` workers now take part. Clamps K into [1, live].
  void set_workers(std::size_t live);

  /// For checkpoints: K*, the rounds counted, F(x⁰) and the largest N seen ("abs.*" keys).
  policy_state save_state() const;
  /// Restores save_state's values (the current N comes from set_workers). Throws
  /// std::invalid_argument for a missing key or a K* outside [1, largest N].
  void restore_state(const policy_state& s);

  /// For logs and tests.
  std::size_t workers() const { return workers_; }
  std::size_t k0() const { return k0_; }
  std::uint64_t rounds() const { return rounds_; }
  bool has_initial_loss() const { return has_f0_; }
  /// F(x⁰); meaningful only when has_initial_loss().
  double initial_loss() const { return f0_; }

 private:
  std::size_t workers_;      ///< N: live workers now
  std::size_t max_workers_;  ///< largest N seen: the cap of the target
  std::size_t k0_;           ///< K⁰
  std::size_t every_;        ///< E, rounds
  std::size_t target_;       ///< K*: the non-decreasing schedule value, before clamping to N
  std::uint64_t rounds_ = 0;
  bool has_f0_ = false;
  double f0_ = 0.0;
};

}  // namespace hetsgd
