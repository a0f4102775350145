#include "policies/ssgd_policy.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace hetsgd {

ssgd_policy::ssgd_policy(ssgd_options opts) : opts_(std::move(opts)) {
  traits_.name = opts_.name;
  traits_.payload = payload_kind::gradient_sum;
  // A round that times out closes on whoever arrived: a subset, which an all-reduce cannot
  // carry.
  traits_.transfer =
    opts_.round_timeout_s > 0.0 ? transfer_kind::point_to_point : transfer_kind::all_reduce;
  traits_.mode = worker_mode::push_and_wait;
}

void ssgd_policy::open_round(const policy_context& ctx, round_decision& d) {
  round_opened_at_s_ = ctx.now_s;
  if (opts_.round_timeout_s > 0.0)
    d.wake_at_s = ctx.now_s + opts_.round_timeout_s;
}

round_decision ssgd_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  open_round(ctx, d);
  return d;
}

round_decision ssgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  if (c.version != ctx.version || !ctx.members->contains(c.worker)) {
    // Computed on a version whose round already closed (after a deadline), or from a worker
    // that is no longer a member: count it as late and put the worker on the current version.
    round_decision d;
    d.drop.push_back({c.id, drop_reason::late});
    if (ctx.members->contains(c.worker))
      d.release.push_back(c.worker);
    return d;
  }
  auto [it, inserted] = pending_.emplace(c.worker, c);
  if (!inserted) {
    // A worker pushes once per version in push_and_wait mode; a second push is a protocol
    // violation by the worker: keep the first, drop the duplicate as late.
    round_decision d;
    d.drop.push_back({c.id, drop_reason::late});
    return d;
  }
  return try_close(ctx, close_reason::all_arrived, false);
}

round_decision ssgd_policy::try_close(const policy_context& ctx, close_reason reason, bool force) {
  round_decision d;
  bool all = true;
  for (auto w : ctx.members->live)
    if (pending_.count(w) == 0) {
      all = false;
      break;
    }
  if (pending_.empty() || (!all && !force))
    return d;
  d.close = true;
  d.reason = reason;
  d.combine = combine_rule::sample_weighted_mean;
  for (auto& [w, c] : pending_) {
    if (ctx.members->contains(w)) {
      d.apply.push_back({c.id, 1.0});
      d.release.push_back(w);
    } else {
      d.drop.push_back({c.id, drop_reason::crashed});
    }
  }
  if (d.apply.empty()) {
    // Only contributions of departed workers were pending: nothing to apply.
    d.close = false;
  }
  pending_.clear();
  open_round(ctx, d);
  return d;
}

round_decision ssgd_policy::on_timer(const policy_context& ctx) {
  if (opts_.round_timeout_s <= 0.0 || ctx.now_s + 1e-9 < round_opened_at_s_ + opts_.round_timeout_s)
    return {};
  if (pending_.empty()) {
    // Nobody arrived within the deadline: keep waiting, but with a fresh deadline.
    round_decision d;
    open_round(ctx, d);
    return d;
  }
  return try_close(ctx, close_reason::timeout, true);
}

round_decision ssgd_policy::on_membership_change(const policy_context& ctx) {
  // A departed worker no longer holds the round back; its pending work is dropped as crashed.
  round_decision d;
  d.drop = drop_departed(pending_, *ctx.members);
  auto closed = try_close(ctx, close_reason::membership, false);
  closed.drop.insert(closed.drop.begin(), d.drop.begin(), d.drop.end());
  // A worker that joined (or rejoined) has no job yet, and the round now waits for it: release
  // it onto the current version, or the round could only ever close by its deadline.
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  release_joiners(closed, joined);
  return closed;
}

}  // namespace hetsgd
