#include "policies/dbs_batch_policy.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace hetsgd {

namespace {

std::string num(double x) {
  return std::to_string(x);
}

/// Largest-remainder rounding of quotas q (Σq = total) to integers ≥ 1 summing to total.
std::vector<std::int64_t> round_largest_remainder(const std::vector<double>& q,
                                                  std::int64_t total) {
  const std::size_t n = q.size();
  std::vector<std::int64_t> b(n);
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    b[i] = static_cast<std::int64_t>(std::floor(q[i]));
    sum += b[i];
  }
  // Floating error can leave Σ⌊q⌋ slightly off; the loops below hand out (or take back) the
  // difference either way, by fractional part.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) {
    return (q[a] - std::floor(q[a])) > (q[c] - std::floor(q[c]));
  });
  while (sum < total)
    for (std::size_t k = 0; k < n && sum < total; ++k) {
      ++b[order[k]];
      ++sum;
    }
  while (sum > total)
    for (std::size_t k = n; k-- > 0 && sum > total;)
      if (b[order[k]] > 0) {
        --b[order[k]];
        --sum;
      }
  // b_i ≥ 1: take one sample from the most over-served worker that can spare one.
  for (std::size_t i = 0; i < n; ++i) {
    if (b[i] >= 1)
      continue;
    std::size_t donor = n;
    for (std::size_t j = 0; j < n; ++j) {
      if (b[j] < 2)
        continue;
      if (donor == n || static_cast<double>(b[j]) - q[j] > static_cast<double>(b[donor]) - q[donor])
        donor = j;
    }
    if (donor == n)
      throw std::logic_error("dbs_partition: no donor for a worker with zero samples");
    --b[donor];
    b[i] = 1;
  }
  return b;
}

}  // namespace

dbs_rounding parse_dbs_rounding(const std::string& name) {
  if (name == "largest_remainder")
    return dbs_rounding::largest_remainder;
  if (name == "reference")
    return dbs_rounding::reference;
  throw std::invalid_argument("dbs: unknown rounding '" + name +
                              "' (expected 'largest_remainder' or 'reference')");
}

std::string to_string(dbs_rounding r) {
  return r == dbs_rounding::reference ? "reference" : "largest_remainder";
}

dbs_batch_policy::dbs_batch_policy(const dbs_options& opts, std::size_t workers)
    : global_batch_(opts.global_batch),
      dataset_size_(opts.dataset_size),
      rounding_(parse_dbs_rounding(opts.rounding)),
      workers_(workers),
      iterations_per_epoch_(0) {
  if (global_batch_ < 1)
    throw std::invalid_argument("dbs: global batch B = " + std::to_string(global_batch_) +
                                " must be >= 1");
  if (workers_ < 1)
    throw std::invalid_argument("dbs: needs at least 1 worker, got 0");
  if (global_batch_ < static_cast<std::int64_t>(workers_))
    throw std::invalid_argument("dbs: global batch B = " + std::to_string(global_batch_) +
                                " is smaller than the number of workers N = " +
                                std::to_string(workers_) + " (every worker needs b_i >= 1)");
  if (dataset_size_ < global_batch_)
    throw std::invalid_argument("dbs: dataset size |D| = " + std::to_string(dataset_size_) +
                                " is smaller than the global batch B = " +
                                std::to_string(global_batch_) + " (no full iteration per epoch)");
  iterations_per_epoch_ = dataset_size_ / global_batch_;
}

std::vector<batch_assignment> dbs_batch_policy::initial(std::size_t workers) {
  if (workers != workers_)
    throw std::invalid_argument(
      "dbs: initial() for " + std::to_string(workers) +
      " workers, but the policy was built for N = " + std::to_string(workers_));
  const auto n = static_cast<std::int64_t>(workers_);
  std::vector<std::int64_t> b(workers_, global_batch_ / n);
  for (std::int64_t i = 0; i < global_batch_ % n; ++i)
    ++b[static_cast<std::size_t>(i)];
  plan_ = restored_plan_.empty() ? plan_from_batches(b) : restored_plan_;
  iterations_.assign(workers_, 0);
  compute_s_.assign(workers_, 0.0);
  carried_iterations_.assign(workers_, 0);
  carried_compute_s_.assign(workers_, 0.0);
  if (restored_plan_.empty())
    epochs_completed_ = 0;
  started_ = true;
  return plan_;
}

std::optional<std::vector<batch_assignment>> dbs_batch_policy::on_report(
  const throughput_report& r) {
  if (!started_)
    throw std::logic_error("dbs: on_report() before initial()");
  if (r.worker >= workers_)
    throw std::invalid_argument("dbs: report from unknown worker " + std::to_string(r.worker) +
                                " (N = " + std::to_string(workers_) + ")");
  if (!std::isfinite(r.compute_s) || r.compute_s < 0.0)
    throw std::invalid_argument("dbs: worker " + std::to_string(r.worker) +
                                " reported compute_s = " + num(r.compute_s) +
                                " (must be finite and >= 0)");
  const std::size_t w = r.worker;
  if (iterations_[w] >= iterations_per_epoch_) {
    // Ahead of the others: this iteration belongs to the next epoch.
    ++carried_iterations_[w];
    carried_compute_s_[w] += r.compute_s;
    return std::nullopt;
  }
  ++iterations_[w];
  compute_s_[w] += r.compute_s;
  for (std::size_t i = 0; i < workers_; ++i)
    if (iterations_[i] < iterations_per_epoch_)
      return std::nullopt;

  // Epoch boundary: re-partition from this epoch's pure compute times.
  std::vector<double> shares(workers_);
  for (std::size_t i = 0; i < workers_; ++i)
    shares[i] = plan_[i].share;
  plan_ = plan_from_batches(dbs_partition(shares, compute_s_, global_batch_, rounding_));
  ++epochs_completed_;
  iterations_ = std::move(carried_iterations_);
  compute_s_ = std::move(carried_compute_s_);
  carried_iterations_.assign(workers_, 0);
  carried_compute_s_.assign(workers_, 0.0);
  return plan_;
}

std::vector<std::int64_t> dbs_batch_policy::dbs_partition(const std::vector<double>& shares,
                                                          const std::vector<double>& times,
                                                          std::int64_t global_batch,
                                                          dbs_rounding rounding) {
  const std::size_t n = shares.size();
  if (n == 0)
    throw std::invalid_argument("dbs_partition: no workers");
  if (times.size() != n)
    throw std::invalid_argument("dbs_partition: " + std::to_string(n) + " shares but " +
                                std::to_string(times.size()) + " times");
  if (global_batch < static_cast<std::int64_t>(n))
    throw std::invalid_argument("dbs_partition: global batch B = " + std::to_string(global_batch) +
                                " is smaller than the number of workers N = " + std::to_string(n));
  double share_sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(shares[i]) || shares[i] <= 0.0)
      throw std::invalid_argument("dbs_partition: share of worker " + std::to_string(i) + " = " +
                                  num(shares[i]) + " (must be finite and > 0)");
    if (!std::isfinite(times[i]) || times[i] < 0.0)
      throw std::invalid_argument("dbs_partition: time of worker " + std::to_string(i) + " = " +
                                  num(times[i]) + " s (must be finite and >= 0)");
    share_sum += shares[i];
  }
  const auto big_b = static_cast<double>(global_batch);
  // Measured workers (t_i > 0) split the quota of their combined share by speed p_i = r_i / t_i;
  // unmeasured workers keep theirs.
  double measured_share = 0.0;
  double p_sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (times[i] > 0.0) {
      measured_share += shares[i] / share_sum;
      p_sum += (shares[i] / share_sum) / times[i];
    }
  }
  std::vector<double> q(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double r = shares[i] / share_sum;
    q[i] = times[i] > 0.0 ? big_b * measured_share * (r / times[i]) / p_sum : big_b * r;
  }
  if (rounding == dbs_rounding::largest_remainder)
    return round_largest_remainder(q, global_batch);
  std::vector<std::int64_t> b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(q[i] + 0.5)));
  return b;
}

std::vector<batch_assignment> dbs_batch_policy::plan_from_batches(
  const std::vector<std::int64_t>& batches) {
  std::int64_t total = 0;
  for (auto b : batches)
    total += b;
  std::vector<batch_assignment> out(batches.size());
  for (std::size_t i = 0; i < batches.size(); ++i) {
    out[i].batch = batches[i];
    out[i].share = static_cast<double>(batches[i]) / static_cast<double>(total);
  }
  return out;
}

policy_state dbs_batch_policy::save_state() const {
  std::vector<std::int64_t> batches;
  for (auto& a : plan_)
    batches.push_back(a.batch);
  return plan_state(batches, epochs_completed_);
}

void dbs_batch_policy::restore_state(const policy_state& s) {
  const double n = state_value(s, "plan.workers", "dbs");
  if (n != double(workers_))
    throw std::invalid_argument("dbs: saved state is for " + num(n) + " workers, the run has " +
                                std::to_string(workers_));
  std::vector<std::int64_t> batches;
  for (std::size_t i = 0; i < workers_; ++i) {
    const double b = state_value(s, "plan.batch." + std::to_string(i), "dbs");
    if (!(b >= 1.0) || b != std::floor(b))
      throw std::invalid_argument("dbs: saved batch of worker " + std::to_string(i) + " is " +
                                  num(b) + " (must be an integer >= 1)");
    batches.push_back(static_cast<std::int64_t>(b));
  }
  restored_plan_ = plan_from_batches(batches);
  epochs_completed_ = static_cast<std::int64_t>(state_value(s, "plan.completed", "dbs"));
}

}  // namespace hetsgd
