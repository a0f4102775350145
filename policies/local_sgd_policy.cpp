#include "policies/local_sgd_policy.hpp"

#include <stdexcept>

namespace hetsgd {

local_sgd_policy::local_sgd_policy(local_sgd_options opts)
    : rounds_(ssgd_options{opts.round_timeout_s}) {
  if (opts.local_steps < 1)
    throw std::invalid_argument("local_sgd: local_steps must be >= 1");
  traits_.name = "local_sgd";
  traits_.payload = payload_kind::model;
  traits_.transfer = transfer_kind::all_reduce;
  traits_.mode = worker_mode::local_steps;
  traits_.local_steps = opts.local_steps;
}

round_decision local_sgd_policy::to_model_average(round_decision d) {
  if (d.close) {
    d.combine = combine_rule::model_average;
    double total = 0.0;
    for (auto& wc : d.apply)
      total += static_cast<double>(samples_.at(wc.id));
    for (auto& wc : d.apply)
      wc.weight = total > 0.0 ? static_cast<double>(samples_.at(wc.id)) / total
                              : 1.0 / static_cast<double>(d.apply.size());
  }
  for (auto& wc : d.apply)
    samples_.erase(wc.id);
  for (auto& dc : d.drop)
    samples_.erase(dc.id);
  return d;
}

round_decision local_sgd_policy::on_start(const policy_context& ctx) {
  return rounds_.on_start(ctx);
}

round_decision local_sgd_policy::on_arrival(const contribution_meta& c, const policy_context& ctx) {
  samples_[c.id] = c.samples;
  return to_model_average(rounds_.on_arrival(c, ctx));
}

round_decision local_sgd_policy::on_timer(const policy_context& ctx) {
  return to_model_average(rounds_.on_timer(ctx));
}

round_decision local_sgd_policy::on_membership_change(const policy_context& ctx) {
  return to_model_average(rounds_.on_membership_change(ctx));
}

}  // namespace hetsgd
