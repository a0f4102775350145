#include "policies/abs_policy.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace hetsgd {

abs_policy::abs_policy(abs_options opts)
    : opts_(std::move(opts)), schedule_(opts_.workers, opts_.k0, opts_.every_rounds) {
  if (opts_.local_steps == 0)
    throw std::invalid_argument("abs: local_steps (U) must be >= 1");
  if (!(opts_.global_lr > 0.0))
    throw std::invalid_argument("abs: global_lr must be > 0, got " +
                                std::to_string(opts_.global_lr));
  traits_.name = "abs";
  traits_.payload = payload_kind::model_delta;
  traits_.transfer = transfer_kind::point_to_point;
  traits_.mode = worker_mode::local_steps;
  traits_.local_steps = opts_.local_steps;
}

round_decision abs_policy::on_start(const policy_context& ctx) {
  round_decision d;
  d.release = ctx.members->live;
  known_ = ctx.members->live;
  schedule_.set_workers(ctx.members->size());
  for (auto w : ctx.members->live)
    job_version_[w] = ctx.version;
  return d;
}

round_decision abs_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  round_decision d;
  if (!ctx.members->contains(c.worker)) {
    d.drop.push_back({c.id, drop_reason::crashed});
    return d;
  }
  auto jv = job_version_.find(c.worker);
  if (jv == job_version_.end() || jv->second != c.version) {
    // The upload of a job that a restart replaced (it crossed the restart message).
    d.drop.push_back({c.id, drop_reason::restarted});
    d.release.push_back(c.worker);
    // The worker takes this release if it is newer than its job and ignores it otherwise; either
    // way its job is now on ctx.version.
    job_version_[c.worker] = ctx.version;
    return d;
  }
  const auto in_round =
    std::any_of(pending_.begin(), pending_.end(),
                [&](const contribution_meta& p) { return p.worker == c.worker; });
  if (in_round || ctx.version - c.version > schedule_.tau_max()) {
    d.drop.push_back({c.id, in_round ? drop_reason::late : drop_reason::stale});
    d.release.push_back(c.worker);
    jv->second = ctx.version;
    return d;
  }
  pending_.push_back(c);
  return try_close(ctx, close_reason::k_arrived);
}

round_decision abs_policy::try_close(const policy_context& ctx, close_reason reason) {
  round_decision d;
  const std::size_t k = schedule_.k();
  if (pending_.empty() || pending_.size() < k)
    return d;
  const std::size_t tau = schedule_.tau_max();
  const version_t next = ctx.version + 1;
  d.close = true;
  d.reason = reason;
  d.combine = combine_rule::delta_sum;
  const double weight = opts_.global_lr / static_cast<double>(k);
  for (std::size_t i = 0; i < k; ++i) {
    d.apply.push_back({pending_[i].id, weight});
    d.release.push_back(pending_[i].worker);
    job_version_[pending_[i].worker] = next;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(k));
  for (auto w : ctx.members->live) {
    if (std::find(d.release.begin(), d.release.end(), w) != d.release.end())
      continue;
    const bool waiting = std::any_of(pending_.begin(), pending_.end(),
                                     [&](const contribution_meta& p) { return p.worker == w; });
    auto& v = job_version_[w];
    if (!waiting && next - v > tau) {
      d.restart.push_back(w);
      v = next;
    }
  }
  d.annotations.push_back({"k", static_cast<double>(k)});
  d.annotations.push_back({"tau_max", static_cast<double>(tau)});
  return d;
}

void abs_policy::on_round_applied(const policy_context&, double train_loss) {
  schedule_.on_round(train_loss);
}

round_decision abs_policy::on_membership_change(const policy_context& ctx) {
  std::vector<dropped_contribution> gone;
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [&](const contribution_meta& p) {
                                  if (ctx.members->contains(p.worker))
                                    return false;
                                  gone.push_back({p.id, drop_reason::crashed});
                                  return true;
                                }),
                 pending_.end());
  for (auto it = job_version_.begin(); it != job_version_.end();)
    it = ctx.members->contains(it->first) ? std::next(it) : job_version_.erase(it);
  auto joined = ctx.members->joined_since(known_);
  known_ = ctx.members->live;
  schedule_.set_workers(std::max<std::size_t>(1, ctx.members->size()));
  auto d = try_close(ctx, close_reason::membership);
  d.drop.insert(d.drop.begin(), gone.begin(), gone.end());
  const version_t v = ctx.version + (d.close ? 1 : 0);
  release_joiners(d, joined);
  for (auto w : joined)
    job_version_[w] = v;
  return d;
}

}  // namespace hetsgd
