#pragma once
/// \file
/// OD-SGD's local compensating step on flat parameter vectors. A worker that pushed the gradient
/// sum G of n samples, computed at weights w_then, continues from a fresh copy of the
/// one-step-old global weights W instead of waiting for the round it just pushed to:
///   w = W − lr · c,   g = G / n,   c = g                              (plain rule, λ = 0)
///                                 c = g + λ · g ⊙ g ⊙ (W − w_then)    (delay-compensated, DC-ASGD)
/// `lr` is η_l / N (the worker's share of the global mean); λ in 1/weight units, 0.04 in the
/// DC-ASGD paper.

#include <ATen/core/Tensor.h>

namespace hetsgd {

/// Returns a new tensor w; never writes its inputs (W may be a snapshot shared with other
/// workers). `samples` = 0 returns a copy of W. Throws std::invalid_argument on size mismatch.
at::Tensor local_compensated_weights(const at::Tensor& global_weights,
                                     const at::Tensor& gradient_sum, double samples, double lr,
                                     const at::Tensor& weights_then, double dc_lambda);

}  // namespace hetsgd
