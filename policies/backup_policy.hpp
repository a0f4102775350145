#pragma once
/// Backup workers (K of N): a round closes as soon as K contributions computed on the CURRENT
/// version arrived, from K distinct workers; it applies their sample-weighted mean Σg/Σn (reason
/// `k_arrived`). The contributors are released onto the new version; every other live worker is
/// told to restart onto it (round_decision::restart), which discards its job in progress (the
/// worker reports those samples and the aggregator counts them as dropped, `restarted`).
///
/// Resolved details:
/// - K = options.k, or N − 1 when k = 0, with N the number of live workers at the time of the
///   decision; clamped to [1, N]. K = N behaves like ssgd (no restarts, no drops).
/// - A contribution computed on an older version (a worker whose push crossed its restart, or a
///   straggler of a closed round) is dropped as `stale`, never applied, and its worker is
///   released onto the current version. The worker actor keeps the job a crossing restart gave
///   it when this release brings no newer version, so nothing is computed twice.
/// - A second contribution from the same worker on the same version is a protocol violation by
///   the worker: the first is kept, the duplicate dropped as `late`.
/// - A contribution from a non-member is dropped as `crashed`. When members leave, their pending
///   contributions are dropped as `crashed`, and the round closes (reason `membership`) if the
///   remaining pending ones reach the K of the smaller cluster. A worker that joins is released
///   onto the current version.

#include <cstdint>
#include <map>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

struct backup_options {
  std::uint64_t k = 0;  ///< contributions per round; 0 = live workers − 1 (clamped to [1, live])
};

class backup_policy final : public round_policy {
 public:
  explicit backup_policy(backup_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override { return {}; }
  round_decision on_membership_change(const policy_context& ctx) override;

  /// K for `live` live workers.
  std::size_t k_for(std::size_t live) const;

 private:
  /// Closes the round if K contributions on the current version are pending.
  round_decision try_close(const policy_context& ctx, close_reason reason);

  backup_options opts_;
  policy_traits traits_;
  /// Contributions on the current version, by worker (one each).
  std::map<worker_id, contribution_meta> pending_;
  /// Live workers as of the last on_start / on_membership_change (sorted), to tell who joined.
  std::vector<worker_id> known_;
};

}  // namespace hetsgd
