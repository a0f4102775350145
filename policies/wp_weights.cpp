#include "policies/wp_weights.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace hetsgd {

namespace {

/// Σ v in ascending order: the same bits whatever the order of v (and a little more accurate).
double sorted_sum(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double s = 0.0;
  for (double x : v)
    s += x;
  return s;
}

/// Divides raw (all >= 0) by its sum; all zeros stay all zeros (nobody worked).
std::vector<double> normalize(std::vector<double> raw) {
  // Scale by the largest entry first, so that huge counts cannot overflow the sum to inf.
  const double top = raw.empty() ? 0.0 : *std::max_element(raw.begin(), raw.end());
  if (top <= 0.0)
    return raw;
  for (double& x : raw)
    x /= top;
  const double total = sorted_sum(raw);
  for (double& x : raw)
    x /= total;
  return raw;
}

}  // namespace

std::vector<double> wp_weights(const std::vector<double>& work, wp_weighting weighting, double lr,
                               double l2) {
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (!std::isfinite(work[i]) || work[i] < 0.0) {
      std::ostringstream msg;
      msg << "wp_weights: work[" << i << "] must be finite and >= 0; got " << work[i];
      throw std::invalid_argument(msg.str());
    }
  }
  switch (weighting) {
    case wp_weighting::uniform:
      return std::vector<double>(work.size(), work.empty() ? 0.0 : 1.0 / double(work.size()));
    case wp_weighting::samples: return normalize(work);
    case wp_weighting::contraction: {
      const double rate = lr * l2;
      // Both factors must be positive: a negative η·λ pair could multiply to a valid rate.
      if (!std::isfinite(lr) || !std::isfinite(l2) || !(lr > 0.0 && l2 > 0.0 && rate < 1.0)) {
        std::ostringstream msg;
        msg << "wp_weights: contraction needs lr > 0, l2 > 0 and lr * l2 < 1; got lr = " << lr
            << ", l2 = " << l2 << " (lr * l2 = " << rate << ")";
        throw std::invalid_argument(msg.str());
      }
      // 1 − (1 − ηλ)^T computed as −expm1(T·log1p(−ηλ)): exact enough even when ηλ is tiny, where
      // the weights approach the samples weighting (1 − (1 − ηλ)^T ≈ ηλ·T).
      const double log_keep = std::log1p(-rate);
      std::vector<double> raw(work.size());
      for (std::size_t i = 0; i < work.size(); ++i)
        raw[i] = -std::expm1(work[i] * log_keep);
      return normalize(std::move(raw));
    }
  }
  throw std::invalid_argument("wp_weights: unknown weighting");
}

wp_weighting parse_wp_weighting(const std::string& name) {
  if (name == "samples")
    return wp_weighting::samples;
  if (name == "contraction")
    return wp_weighting::contraction;
  if (name == "uniform")
    return wp_weighting::uniform;
  throw std::invalid_argument("wp weighting must be one of samples, contraction, uniform; got '" +
                              name + "'");
}

const char* to_string(wp_weighting weighting) {
  switch (weighting) {
    case wp_weighting::samples: return "samples";
    case wp_weighting::contraction: return "contraction";
    case wp_weighting::uniform: return "uniform";
  }
  return "unknown";
}

}  // namespace hetsgd
