#pragma once
/// A numeric harness for round policies: least squares in double precision. Workers hold fixed
/// data shards of a small linear regression problem; each contribution carries the SUM of the
/// per-sample gradients of its batch at the weights of the version it was computed on. The
/// fake aggregator's closes are applied with combine_rule::sample_weighted_mean:
///   w ← w − lr · Σ a_k g_k / Σ a_k n_k.
/// The weights of every version are kept, so a stale contribution can be checked to use the
/// gradient at its old version.

#include <cmath>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <vector>

#include "fake_aggregator.hpp"

namespace hetsgd::test {

using vec = std::vector<double>;

struct sample {
  vec x;
  double y = 0.0;
};

/// Per-sample loss ½(x·w − y)²; gradient (x·w − y)·x.
inline double dot(const vec& a, const vec& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

inline vec gradient_sum(const std::vector<sample>& batch, const vec& w) {
  vec g(w.size(), 0.0);
  for (auto& s : batch) {
    const double r = dot(s.x, w) - s.y;
    for (std::size_t k = 0; k < w.size(); ++k)
      g[k] += r * s.x[k];
  }
  return g;
}

inline double max_abs_diff(const vec& a, const vec& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// The aggregator's update for a sample_weighted_mean round: w − lr · Σ weight·g / Σ weight·n,
/// where `gradient_of(id)` is the gradient sum contribution `id` carried. A round over zero
/// samples changes nothing (the aggregator skips it).
template <class GradientOf>
vec sample_weighted_step(const vec& w, const closed_round& r, double lr, GradientOf gradient_of) {
  vec sum(w.size(), 0.0);
  double n = 0.0;
  for (std::size_t i = 0; i < r.apply.size(); ++i) {
    const vec& g = gradient_of(r.apply[i].id);
    for (std::size_t k = 0; k < w.size(); ++k)
      sum[k] += r.apply[i].weight * g[k];
    n += r.apply[i].weight * double(r.metas[i].samples);
  }
  vec next = w;
  if (n > 0.0)
    for (std::size_t k = 0; k < w.size(); ++k)
      next[k] -= lr * sum[k] / n;
  return next;
}

/// A deterministic regression data set: `workers` shards of `per_worker` samples, `features`
/// features; targets from a fixed true weight vector plus a deterministic "noise" term so the
/// optimum is not reached in a few steps.
inline std::vector<std::vector<sample>> make_shards(std::size_t workers, std::size_t per_worker,
                                                    std::size_t features) {
  std::vector<std::vector<sample>> shards(workers);
  std::size_t j = 0;
  for (auto& shard : shards)
    for (std::size_t i = 0; i < per_worker; ++i, ++j) {
      sample s;
      for (std::size_t k = 0; k < features; ++k)
        s.x.push_back(std::sin(1.0 + 0.7 * double(j) + 1.3 * double(k)) + 0.1 * double(k));
      double y = 0.3 * std::cos(2.1 * double(j));
      for (std::size_t k = 0; k < features; ++k)
        y += (1.0 + 0.5 * double(k)) * s.x[k];
      s.y = y;
      shard.push_back(s);
    }
  return shards;
}

/// The cluster: one fake aggregator, the model weights of every version, and a gradient payload
/// per contribution id. Workers compute on the weights of the version they are told (normally
/// the version they were last released onto), so staleness shows up in the numbers.
class least_squares_cluster {
 public:
  least_squares_cluster(round_policy& policy, std::vector<std::vector<sample>> shards, vec w0,
                        double lr)
      : shards_(std::move(shards)), lr_(lr), agg_(policy, all_workers(shards_.size())) {
    weights_.push_back(std::move(w0));
    agg_.on_close([this](const closed_round& r) { apply(r); });
  }
  least_squares_cluster(const least_squares_cluster&) = delete;
  least_squares_cluster& operator=(const least_squares_cluster&) = delete;

  fake_aggregator& agg() { return agg_; }
  const vec& weights() const { return weights_.back(); }
  /// Weights after `v` updates.
  const vec& weights_at(version_t v) const { return weights_.at(v); }
  const std::vector<sample>& shard(worker_id w) const { return shards_.at(w); }

  /// Worker w computes the gradient sum of `batch` at the weights of version v and pushes it.
  round_decision push_batch(worker_id w, const std::vector<sample>& batch, version_t v) {
    // The fake aggregator assigns ids in sequence; file the payload under the next one before
    // the push, since a close triggered by this very arrival needs it.
    payloads_[agg_.next_id()] = gradient_sum(batch, weights_at(v));
    return agg_.push_on(w, v, batch.size());
  }

  /// Worker w computes on its whole shard at the version it was last released onto.
  round_decision push_shard(worker_id w) { return push_batch(w, shard(w), agg_.job_version(w)); }

  std::size_t updates() const { return weights_.size() - 1; }

 private:
  static std::vector<worker_id> all_workers(std::size_t n) {
    std::vector<worker_id> v;
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<worker_id>(i));
    return v;
  }

  const vec& payload(contribution_id id) const {
    auto it = payloads_.find(id);
    if (it == payloads_.end())
      throw std::logic_error("least_squares_cluster: no payload for contribution id");
    return it->second;
  }

  void apply(const closed_round& r) {
    if (r.combine != combine_rule::sample_weighted_mean)
      throw std::logic_error("least_squares_cluster: only sample_weighted_mean is modelled");
    weights_.push_back(sample_weighted_step(
      weights_.back(), r, lr_, [this](contribution_id id) -> const vec& { return payload(id); }));
  }

  std::vector<std::vector<sample>> shards_;
  double lr_;
  fake_aggregator agg_;
  std::vector<vec> weights_;
  std::map<contribution_id, vec> payloads_;
};

}  // namespace hetsgd::test
