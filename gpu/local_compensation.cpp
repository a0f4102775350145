#include "gpu/local_compensation.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>

namespace hetsgd {

at::Tensor local_compensated_weights(const at::Tensor& global_weights,
                                     const at::Tensor& gradient_sum, double samples, double lr,
                                     const at::Tensor& weights_then, double dc_lambda) {
  torch::NoGradGuard no_grad;
  auto w = global_weights.clone();
  if (samples <= 0.0)
    return w;
  if (gradient_sum.numel() != w.numel())
    throw std::invalid_argument("local_compensated_weights: gradient has " +
                                std::to_string(gradient_sum.numel()) + " elements, weights " +
                                std::to_string(w.numel()));
  auto g = gradient_sum.reshape_as(w) / samples;
  if (dc_lambda != 0.0) {
    if (weights_then.numel() != w.numel())
      throw std::invalid_argument("local_compensated_weights: weights_then has " +
                                  std::to_string(weights_then.numel()) + " elements, weights " +
                                  std::to_string(w.numel()));
    g = g + dc_lambda * g * g * (global_weights - weights_then.reshape_as(w));
  }
  w.sub_(g, lr);
  return w;
}

}  // namespace hetsgd
