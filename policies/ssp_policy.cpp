#include "policies/ssp_policy.hpp"

#include <algorithm>
#include <limits>

namespace hetsgd {

ssp_policy::ssp_policy(ssp_options opts) : opts_(opts) {
  traits_.name = "ssp";
  traits_.payload = payload_kind::gradient_sum;
  traits_.transfer = transfer_kind::point_to_point;
  traits_.mode = worker_mode::push_and_wait;
}

std::uint64_t ssp_policy::clock(worker_id w) const {
  auto it = clock_.find(w);
  return it == clock_.end() ? 0 : it->second;
}

std::uint64_t ssp_policy::min_clock(const policy_context& ctx) const {
  std::uint64_t m = std::numeric_limits<std::uint64_t>::max();
  for (auto w : ctx.members->live)
    m = std::min(m, clock(w));
  return ctx.members->live.empty() ? 0 : m;
}

void ssp_policy::release_held(const policy_context& ctx, round_decision& d) {
  const auto slowest = min_clock(ctx);
  for (auto it = held_.begin(); it != held_.end();) {
    if (clock(*it) - slowest <= opts_.staleness) {
      d.release.push_back(*it);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void ssp_policy::sync_membership(const policy_context& ctx, round_decision& d) {
  // Forget departed workers: they no longer hold anybody back, and are not released.
  for (auto it = clock_.begin(); it != clock_.end();)
    it = ctx.members->contains(it->first) ? std::next(it) : clock_.erase(it);
  for (auto it = held_.begin(); it != held_.end();)
    it = ctx.members->contains(*it) ? std::next(it) : held_.erase(it);
  // The slowest clock among the workers already known; a joiner starts there.
  std::uint64_t start = std::numeric_limits<std::uint64_t>::max();
  for (auto& [w, c] : clock_)
    start = std::min(start, c);
  if (clock_.empty())
    start = 0;
  for (auto w : ctx.members->live)
    if (clock_.emplace(w, start).second)
      d.release.push_back(w);
}

round_decision ssp_policy::on_start(const policy_context& ctx) {
  round_decision d;
  clock_.clear();
  held_.clear();
  sync_membership(ctx, d);
  return d;
}

round_decision ssp_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  d.close = true;
  d.reason = close_reason::immediate;
  d.combine = combine_rule::sample_weighted_mean;
  d.apply.push_back({c.id, 1.0});
  clock_[c.worker] += 1;
  // Hold the arriving worker; release_held lets it (and anybody the arrival unblocked, when it
  // came from the slowest) go if within the bound.
  held_.insert(c.worker);
  release_held(ctx, d);
  return d;
}

round_decision ssp_policy::on_membership_change(const policy_context& ctx) {
  round_decision d;
  sync_membership(ctx, d);
  release_held(ctx, d);
  return d;
}

}  // namespace hetsgd
