#pragma once
/// Stale synchronous parallel (SSP) with staleness bound s. Like asgd, every arrival is applied at
/// once as its own round (reason `immediate`). Each live worker w has a clock c_w: the number of
/// its contributions the policy has resolved (applied, or dropped by the policy). After an
/// arrival, w is released onto its next job only if c_w − min over live workers of c ≤ s;
/// otherwise it is held (its push stays unanswered) until the slowest live worker catches up —
/// released from that worker's on_arrival, or from on_membership_change when it leaves.
///
/// Consequences and resolved details:
/// - Invariant: a worker is never released onto clock c_w + 1 while c_w is more than s ahead of
///   the slowest live worker, so every live clock stays within s + 1 of the minimum.
/// - s = 0: every worker waits until all live workers finished the same clock, so workers are
///   released in the same groups and at the same points as ssgd's rounds (equal pacing). The
///   updates themselves are still applied one contribution at a time, so the trajectory is not
///   ssgd's: a round's later contributions are applied with staleness up to N − 1.
/// - A worker that joins (or rejoins) starts at the clock of the slowest live worker, so it
///   neither blocks the others nor runs ahead; it is released at once.
/// - A contribution from a non-member is dropped as `crashed` and nobody is released; a departed
///   worker's clock is forgotten, which may raise the minimum and release held workers.
/// - Contributions the aggregator drops itself (non-finite) never reach the policy: they do not
///   advance the clock, and the aggregator releases that worker.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

struct ssp_options {
  std::uint64_t staleness = 3;  ///< s: clocks (contributions) a worker may run ahead of the slowest
};

class ssp_policy final : public round_policy {
 public:
  explicit ssp_policy(ssp_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override { return {}; }
  round_decision on_membership_change(const policy_context& ctx) override;

  /// Clock of a live worker (0 if unknown); for tests and logs.
  std::uint64_t clock(worker_id w) const;
  /// Workers whose push is held, sorted.
  std::vector<worker_id> held() const { return {held_.begin(), held_.end()}; }

 private:
  /// Minimum clock over the live workers (0 if none).
  std::uint64_t min_clock(const policy_context& ctx) const;
  /// Appends to d.release every held worker now within the bound.
  void release_held(const policy_context& ctx, round_decision& d);
  /// Starts newly live workers at the slowest clock and releases them; forgets departed ones.
  void sync_membership(const policy_context& ctx, round_decision& d);

  ssp_options opts_;
  policy_traits traits_;
  /// Clock of every live worker: contributions resolved by the policy.
  std::map<worker_id, std::uint64_t> clock_;
  /// Workers that pushed and wait for a release (live members only).
  std::set<worker_id> held_;
};

}  // namespace hetsgd
