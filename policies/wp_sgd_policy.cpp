#include "policies/wp_sgd_policy.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hetsgd {

wp_sgd_policy::wp_sgd_policy(wp_sgd_options opts) : opts_(std::move(opts)) {
  if (!(opts_.period_s > 0.0))
    throw std::invalid_argument("wp_sgd: period_s must be > 0");
  if (opts_.weighting == wp_weighting::contraction)
    wp_weights({1.0}, opts_.weighting, opts_.lr, opts_.l2);  // validates ηλ, throws if invalid
  traits_.name = "wp_sgd";
  traits_.payload = payload_kind::model;
  traits_.transfer = transfer_kind::all_reduce;
  traits_.mode = worker_mode::local_steps;
  traits_.local_steps = until_upload_requested;
}

round_decision wp_sgd_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  next_request_at_s_ = ctx.now_s + opts_.period_s;
  d.wake_at_s = next_request_at_s_;
  return d;
}

round_decision wp_sgd_policy::on_timer(const policy_context& ctx) {
  round_decision d;
  if (asked_ || ctx.now_s + 1e-9 < next_request_at_s_)
    return d;
  asked_ = true;
  asked_workers_ = ctx.members->live;
  d.request_upload = asked_workers_;
  return d;
}

round_decision wp_sgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  if (c.version != ctx.version || !asked_ || pending_.count(c.worker) != 0 ||
      !std::binary_search(asked_workers_.begin(), asked_workers_.end(), c.worker)) {
    // Not an answer to this period's request: its work belongs to an older model.
    d.drop.push_back({c.id, drop_reason::late});
    d.release.push_back(c.worker);
    return d;
  }
  pending_.emplace(c.worker, c);
  return try_close(ctx, close_reason::period);
}

round_decision wp_sgd_policy::try_close(const policy_context& ctx, close_reason reason) {
  round_decision d;
  if (!asked_ || pending_.empty())
    return d;
  // Everybody asked who is still live (departures leave asked_workers_).
  for (auto w : asked_workers_)
    if (pending_.count(w) == 0)
      return d;
  std::vector<double> work;
  for (auto& [w, c] : pending_)
    work.push_back(static_cast<double>(opts_.weighting == wp_weighting::contraction ? c.local_steps
                                                                                    : c.samples));
  auto weights = wp_weights(work, opts_.weighting, opts_.lr, opts_.l2);
  double total = 0.0;
  for (auto a : weights)
    total += a;
  d.close = true;
  d.reason = reason;
  d.combine = combine_rule::model_average;
  std::size_t i = 0;
  for (auto& [w, c] : pending_) {
    d.apply.push_back({c.id, total > 0.0 ? weights[i] : 1.0 / static_cast<double>(work.size())});
    d.release.push_back(w);
    ++i;
  }
  // A worker that joined while the period was open is taking local steps from an older model
  // and was not asked: restart it on the new one (its few steps are discarded and counted).
  for (auto w : ctx.members->live)
    if (pending_.count(w) == 0)
      d.restart.push_back(w);
  pending_.clear();
  asked_ = false;
  asked_workers_.clear();
  next_request_at_s_ = ctx.now_s + opts_.period_s;
  d.wake_at_s = next_request_at_s_;
  return d;
}

round_decision wp_sgd_policy::on_membership_change(const policy_context& ctx) {
  round_decision d;
  d.drop = drop_departed(pending_, *ctx.members);
  // A departed worker is not waited for; if it rejoins, it is a new incarnation that was not
  // asked, and it is asked at the next period.
  keep_members(asked_workers_, *ctx.members);
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  auto closed = try_close(ctx, close_reason::membership);
  closed.drop.insert(closed.drop.begin(), d.drop.begin(), d.drop.end());
  release_joiners(closed, joined);
  return closed;
}

}  // namespace hetsgd
