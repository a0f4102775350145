#pragma once
/// The round policy interface: on every arrival, timer and membership change, the aggregator
/// asks its policy whether a round closes, what goes into it with which weights, who is released,
/// who restarts, and when to wake up next. The policy sees metadata only and keeps its own
/// bookkeeping of pending contributions; the aggregator holds the tensors and carries out the
/// decision. Contract: every contribution passed to on_arrival appears exactly once in some
/// decision's `apply` or `drop`, unless the run ends first (then it counts as in flight).

#include "policies/policy_state.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

class round_policy {
 public:
  virtual ~round_policy() = default;

  virtual const policy_traits& traits() const = 0;

  /// The run starts with `ctx.members` live: typically release everybody with the first job.
  virtual round_decision on_start(const policy_context& ctx) = 0;

  /// A contribution arrived. Its id is new and unique.
  virtual round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) = 0;

  /// A timer the policy asked for (round_decision::wake_at_s) fired. Timers may fire late and
  /// may be stale (the policy asked again since); policies check the time themselves.
  virtual round_decision on_timer(const policy_context& ctx) = 0;

  /// Workers joined or left (ctx.members is the new view). Pending contributions of workers
  /// that left are still the policy's to apply or drop.
  virtual round_decision on_membership_change(const policy_context& ctx) = 0;

  /// The aggregator applied a closed round; ctx.version is the new version. Also carries the
  /// mean training loss of the applied samples (ABS schedules K from it; NaN if unknown).
  virtual void on_round_applied(const policy_context& ctx, double train_loss) {}

  /// State that spans rounds, for a checkpoint (policy_state.hpp). Default: none.
  virtual policy_state save_state() const { return {}; }

  /// Restores what save_state returned, before on_start of a resumed run. Throws
  /// std::invalid_argument naming the key when the state is incomplete or out of range.
  virtual void restore_state(const policy_state& s) {}
};

}  // namespace hetsgd
