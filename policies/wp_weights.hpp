#pragma once
/// WP-SGD (weighted parallel SGD, arXiv 1708.04801): the weights a_i with which the aggregator
/// combines the workers' models at the end of a period, w = Σ a_i w_i. Pure function of the work
/// each worker did; no tensors. Runtime wiring (policy class, config) lives elsewhere.
///
/// Resolved details:
/// - `work[i]` = T_i is whatever the caller counts as work (local steps, or samples); any finite
///   value >= 0 is accepted (fractional values too). A negative or non-finite T_i throws
///   std::invalid_argument, for every weighting (a bad count is a bug upstream).
/// - Nobody did work (every T_i = 0) under `samples` or `contraction`: the result is all zeros
///   (Σ a_i = 0, not 1). The caller should skip the round and keep the current model, since
///   there is nothing to weight; `uniform` still returns 1/N there (plain model averaging).
/// - An empty `work` gives an empty result for every weighting.
/// - Sums are taken over the values in ascending order, so the result is exactly
///   permutation-invariant (bit for bit), not only up to rounding.
/// - `lr` and `l2` are read only by `contraction`, which requires finite values with
///   lr > 0, l2 > 0 and lr·l2 < 1; otherwise std::invalid_argument naming both values.

#include <string>
#include <vector>

namespace hetsgd {

enum class wp_weighting {
  samples,      ///< a_i ∝ T_i (default): weight proportional to the work done
  contraction,  ///< a_i ∝ 1 − (1 − ηλ)^{T_i}: SGD's contraction with L2 coefficient λ, rate η
  uniform,      ///< a_i = 1/N: SimuParallel SGD / model averaging, the paper's baseline
};

/// Weights a_i >= 0 with Σ a_i = 1 (except all zeros when nobody worked, see above).
/// `work`: T_i per worker (local steps or samples, >= 0). `lr`: η, the local learning rate.
/// `l2`: λ, the L2 (weight decay) coefficient. η and λ matter only for `contraction`.
std::vector<double> wp_weights(const std::vector<double>& work, wp_weighting weighting,
                               double lr = 0.0, double l2 = 0.0);

/// "samples", "contraction" or "uniform" (exact, lower case); anything else throws
/// std::invalid_argument listing the valid names.
wp_weighting parse_wp_weighting(const std::string& name);

/// The config name of a weighting (inverse of parse_wp_weighting), for logs.
const char* to_string(wp_weighting weighting);

}  // namespace hetsgd
