#include "gpu/flat_sgd.hpp"

#include "gpu/flat_math.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>

namespace hetsgd {

flat_sgd::flat_sgd(double lr, double momentum, double weight_decay)
    : lr_(lr), momentum_(momentum), weight_decay_(weight_decay) {
  if (!(lr >= 0) || !(momentum >= 0 && momentum < 1) || !(weight_decay >= 0))
    throw std::invalid_argument(
      "flat_sgd: need lr >= 0, 0 <= momentum < 1, weight_decay >= 0; "
      "got lr " +
      std::to_string(lr) + ", momentum " + std::to_string(momentum) + ", weight_decay " +
      std::to_string(weight_decay));
}

void flat_sgd::set_lr(double lr) {
  if (!(lr >= 0))
    throw std::invalid_argument("flat_sgd::set_lr: lr must be >= 0, got " + std::to_string(lr));
  lr_ = lr;
}

void flat_sgd::step(at::Tensor& weights, const at::Tensor& mean_gradient) {
  if (!weights.defined() || !mean_gradient.defined() || weights.numel() != mean_gradient.numel())
    throw std::invalid_argument(
      "flat_sgd::step: weights and gradient must have the same number of elements, got " +
      std::to_string(weights.defined() ? weights.numel() : -1) + " and " +
      std::to_string(mean_gradient.defined() ? mean_gradient.numel() : -1));
  torch::NoGradGuard no_grad;
  const auto g = mean_gradient.reshape_as(weights);
  at::Tensor d = g;
  if (weight_decay_ != 0)
    d = g.add(weights, weight_decay_);
  if (momentum_ != 0) {
    if (buffer_.defined() && buffer_.numel() != weights.numel())
      throw std::invalid_argument("flat_sgd::step: momentum buffer has " +
                                  std::to_string(buffer_.numel()) + " elements, weights " +
                                  std::to_string(weights.numel()));
    if (!buffer_.defined())
      buffer_ = d.clone();
    else
      buffer_.mul_(momentum_).add_(d);
    d = buffer_;
  }
  weights.add_(d, -lr_);
  ++steps_;
}

void flat_sgd::step_scaled(at::Tensor& weights, const at::Tensor& gradient_sum, double scale) {
  if (momentum_ != 0 || weight_decay_ != 0 || !weights.defined() || !gradient_sum.defined() ||
      weights.numel() != gradient_sum.numel()) {
    // The general rule needs the mean; step() also reports size mismatches.
    step(weights, gradient_sum.defined() ? gradient_sum * scale : gradient_sum);
    return;
  }
  // Plain SGD: w -= lr * scale * Σg in one fused pass.
  add_scaled(weights, gradient_sum, -lr_ * scale);
  ++steps_;
}

}  // namespace hetsgd
