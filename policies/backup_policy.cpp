#include "policies/backup_policy.hpp"

#include <algorithm>
#include <iterator>

namespace hetsgd {

backup_policy::backup_policy(backup_options opts) : opts_(opts) {
  traits_.name = "backup";
  traits_.payload = payload_kind::gradient_sum;
  traits_.transfer = transfer_kind::point_to_point;
  traits_.mode = worker_mode::push_and_wait;
}

std::size_t backup_policy::k_for(std::size_t live) const {
  const std::uint64_t k = opts_.k == 0 ? (live > 0 ? live - 1 : 0) : opts_.k;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(k, 1, std::max<std::size_t>(live, 1)));
}

round_decision backup_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  pending_.clear();
  return d;
}

round_decision backup_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  if (c.version != ctx.version) {
    // Computed on a version whose round closed without it: never applied. The worker was
    // restarted (or its push crossed the restart); release puts it on the current version.
    d.drop.push_back({c.id, drop_reason::stale});
    d.release.push_back(c.worker);
    return d;
  }
  if (!pending_.emplace(c.worker, c).second) {
    d.drop.push_back({c.id, drop_reason::late});
    return d;
  }
  return try_close(ctx, close_reason::k_arrived);
}

round_decision backup_policy::try_close(const policy_context& ctx, close_reason reason) {
  round_decision d;
  if (pending_.empty() || pending_.size() < k_for(ctx.members->size()))
    return d;
  d.close = true;
  d.reason = reason;
  d.combine = combine_rule::sample_weighted_mean;
  for (auto& [w, c] : pending_) {
    d.apply.push_back({c.id, 1.0});
    d.release.push_back(w);
  }
  // Everybody else is computing on the version just superseded: restart them onto the new one.
  for (auto w : ctx.members->live)
    if (pending_.count(w) == 0)
      d.restart.push_back(w);
  pending_.clear();
  return d;
}

round_decision backup_policy::on_membership_change(const policy_context& ctx) {
  auto gone = drop_departed(pending_, *ctx.members);
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  auto d = try_close(ctx, close_reason::membership);
  d.drop.insert(d.drop.begin(), gone.begin(), gone.end());
  release_joiners(d, joined);
  return d;
}

}  // namespace hetsgd
