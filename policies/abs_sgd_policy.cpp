#include "policies/abs_sgd_policy.hpp"

#include <algorithm>
#include <stdexcept>

namespace hetsgd {

abs_sgd_trigger parse_abs_sgd_trigger(const std::string& name) {
  if (name == "comm")
    return abs_sgd_trigger::comm;
  if (name == "period")
    return abs_sgd_trigger::period;
  if (name == "samples")
    return abs_sgd_trigger::samples;
  throw std::invalid_argument("abs_sgd: unknown trigger '" + name +
                              "' (expected comm, period or samples)");
}

const char* to_string(abs_sgd_trigger t) {
  switch (t) {
    case abs_sgd_trigger::comm: return "comm";
    case abs_sgd_trigger::period: return "period";
    case abs_sgd_trigger::samples: return "samples";
  }
  return "?";
}

abs_sgd_policy::abs_sgd_policy(abs_sgd_options opts) : opts_(opts) {
  if (!(opts_.period_s > 0.0))
    throw std::invalid_argument("abs_sgd: period_s must be > 0, got " +
                                std::to_string(opts_.period_s));
  if (opts_.trigger == abs_sgd_trigger::samples && opts_.target_samples == 0)
    throw std::invalid_argument("abs_sgd: the samples trigger needs target_samples >= 1");
  if (opts_.linear_lr_scaling && opts_.reference_batch == 0)
    throw std::invalid_argument("abs_sgd: linear_lr_scaling needs reference_batch >= 1");
  traits_.name = "abs_sgd";
  traits_.payload = payload_kind::gradient_sum;
  traits_.transfer = transfer_kind::all_reduce;
  traits_.mode = worker_mode::continuous;
}

round_decision abs_sgd_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  last_sync_at_s_ = ctx.now_s;
  // The first iteration: comm syncs at once (after the releases), the others after a period.
  next_sync_at_s_ = opts_.trigger == abs_sgd_trigger::comm ? ctx.now_s : ctx.now_s + opts_.period_s;
  d.wake_at_s = next_sync_at_s_;
  return d;
}

void abs_sgd_policy::request_sync(const policy_context& ctx, round_decision& d) {
  open_ = true;
  iteration_began_at_s_ = last_sync_at_s_;
  last_sync_at_s_ = ctx.now_s;
  asked_ = ctx.members->live;
  d.request_upload = asked_;
}

round_decision abs_sgd_policy::on_timer(const policy_context& ctx) {
  round_decision d;
  if (open_ || ctx.now_s + 1e-9 < next_sync_at_s_)
    return d;  // stale timer, or the reduction is still running: the close starts the next sync
  request_sync(ctx, d);
  return d;
}

round_decision abs_sgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  const bool asked = std::binary_search(asked_.begin(), asked_.end(), c.worker);
  if (!open_ || !asked || pending_.count(c.worker) != 0) {
    d.drop.push_back({c.id, drop_reason::late});
    d.release.push_back(c.worker);
    return d;
  }
  pending_.emplace(c.worker, c);
  return try_close(ctx, close_reason::all_arrived);
}

double abs_sgd_policy::next_sync_after(double sync_at_s, double iteration_s,
                                       std::uint64_t samples) const {
  switch (opts_.trigger) {
    case abs_sgd_trigger::comm: return sync_at_s;  // unused: comm syncs in the closing decision
    case abs_sgd_trigger::period: return sync_at_s + opts_.period_s;
    case abs_sgd_trigger::samples: {
      if (samples == 0 || !(iteration_s > 0.0))
        return sync_at_s + opts_.period_s;
      const double rate = static_cast<double>(samples) / iteration_s;  // samples/s, cluster-wide
      return sync_at_s + static_cast<double>(opts_.target_samples) / rate;
    }
  }
  return sync_at_s + opts_.period_s;
}

round_decision abs_sgd_policy::try_close(const policy_context& ctx, close_reason reason) {
  round_decision d;
  if (!open_)
    return d;
  for (auto w : asked_)
    if (ctx.members->contains(w) && pending_.count(w) == 0)
      return d;
  // Nobody asked is left to hand over anything: the sync ends without an (empty) update.
  d.close = !pending_.empty();
  d.reason = reason;
  d.combine = combine_rule::sample_weighted_mean;
  std::uint64_t samples = 0;
  for (auto& [w, c] : pending_) {
    d.apply.push_back({c.id, 1.0});
    d.release.push_back(w);
    samples += c.samples;
  }
  pending_.clear();
  open_ = false;
  if (opts_.linear_lr_scaling) {
    d.lr_scale = static_cast<double>(samples) / static_cast<double>(opts_.reference_batch);
    d.annotations.push_back({"lr_scale", d.lr_scale});
  }
  if (opts_.trigger == abs_sgd_trigger::comm) {
    request_sync(ctx, d);  // carried out after the releases, so workers adopt the new weights
    return d;
  }
  // The samples just handed over were computed between the two last syncs: that is the rate.
  next_sync_at_s_ =
    next_sync_after(last_sync_at_s_, last_sync_at_s_ - iteration_began_at_s_, samples);
  if (opts_.trigger == abs_sgd_trigger::samples)
    d.annotations.push_back({"next_sync_in_s", next_sync_at_s_ - ctx.now_s});
  if (next_sync_at_s_ <= ctx.now_s + 1e-9)
    request_sync(ctx, d);  // the period ended while the round was open
  else
    d.wake_at_s = next_sync_at_s_;
  return d;
}

round_decision abs_sgd_policy::on_membership_change(const policy_context& ctx) {
  auto gone = drop_departed(pending_, *ctx.members);
  // A departed worker is not waited for; if it rejoins, it was released, not asked, and is
  // asked at the next sync.
  keep_members(asked_, *ctx.members);
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  auto d = try_close(ctx, close_reason::membership);
  d.drop.insert(d.drop.begin(), gone.begin(), gone.end());
  release_joiners(d, joined);
  return d;
}

}  // namespace hetsgd
