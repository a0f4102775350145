#include "policies/asgd_policy.hpp"

#include <algorithm>
#include <iterator>

namespace hetsgd {

asgd_policy::asgd_policy(asgd_options opts) : opts_(opts) {
  traits_.name = "asgd";
  traits_.payload = payload_kind::gradient_sum;
  traits_.transfer = transfer_kind::point_to_point;
  traits_.mode = worker_mode::push_and_wait;
}

round_decision asgd_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  return d;
}

round_decision asgd_policy::on_membership_change(const policy_context& ctx) {
  // asgd holds nothing pending, so a departure needs no action; a worker that joined (or
  // rejoined) has no job yet: release it onto the current version.
  round_decision d;
  d.release = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  return d;
}

round_decision asgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  const bool member = ctx.members->contains(c.worker);
  const version_t staleness = ctx.version >= c.version ? ctx.version - c.version : 0;
  if (!member) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  d.release.push_back(c.worker);
  if (opts_.max_staleness > 0 && staleness > opts_.max_staleness) {
    d.drop.push_back({c.id, drop_reason::stale});
    return d;
  }
  d.close = true;
  d.reason = close_reason::immediate;
  d.combine = combine_rule::sample_weighted_mean;
  d.apply.push_back({c.id, 1.0});
  return d;
}

}  // namespace hetsgd
