#include "policies/od_sgd_policy.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hetsgd {

od_sgd_policy::od_sgd_policy(od_sgd_options opts) {
  traits_.name = "od_sgd";
  traits_.payload = payload_kind::gradient_sum;
  traits_.transfer = transfer_kind::point_to_point;
  traits_.mode = worker_mode::delayed_local;
  traits_.warmup_rounds = opts.warmup_rounds;
  traits_.local_lr = opts.local_lr;
  if (opts.dc_lambda < 0.0)
    throw std::invalid_argument("od_sgd: dc_lambda must be >= 0, got " +
                                std::to_string(opts.dc_lambda));
  traits_.dc_lambda = opts.dc_lambda;
}

round_decision od_sgd_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  return d;
}

round_decision od_sgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  if (c.version < ctx.version || c.version > ctx.version + 1) {
    // Behind: its round closed without it. More than one ahead: the delay bound is broken.
    d.drop.push_back({c.id, c.version < ctx.version ? drop_reason::late : drop_reason::stale});
    d.release.push_back(c.worker);
    return d;
  }
  if (!pending_[c.version].emplace(c.worker, c).second) {
    d.drop.push_back({c.id, drop_reason::late});
    d.release.push_back(c.worker);
    return d;
  }
  return try_close(ctx, close_reason::all_arrived);
}

round_decision od_sgd_policy::try_close(const policy_context& ctx, close_reason reason) {
  round_decision d;
  auto it = pending_.find(ctx.version);
  if (it == pending_.end() || it->second.empty())
    return d;
  for (auto w : ctx.members->live)
    if (it->second.count(w) == 0)
      return d;
  d.close = true;
  d.reason = reason;
  d.combine = combine_rule::sample_weighted_mean;
  for (auto& [w, c] : it->second) {
    d.apply.push_back({c.id, 1.0});
    d.release.push_back(w);
  }
  pending_.erase(it);
  return d;
}

round_decision od_sgd_policy::on_membership_change(const policy_context& ctx) {
  std::vector<dropped_contribution> gone;
  for (auto& [v, by_worker] : pending_) {
    auto dropped = drop_departed(by_worker, *ctx.members);
    gone.insert(gone.end(), dropped.begin(), dropped.end());
  }
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  auto d = try_close(ctx, close_reason::membership);
  d.drop.insert(d.drop.begin(), gone.begin(), gone.end());
  release_joiners(d, joined);
  return d;
}

}  // namespace hetsgd
