#pragma once
/// \file
/// The master optimizer of the parameter server: SGD over the flat weight tensor.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>

namespace hetsgd {

/// SGD with heavy-ball momentum and L2 weight decay over one flat weight tensor, with the same
/// update as torch::optim::SGD (dampening 0, no Nesterov):
///   d = g + weight_decay * w
///   v = d                    on the first step,   v = momentum * v + d   afterwards
///   w -= lr * v              (v = d when momentum is 0)
/// The momentum buffer lives here, so one flat_sgd belongs to one weight tensor. Not
/// thread-safe: the aggregator owns it.
class flat_sgd {
 public:
  /// Throws std::invalid_argument unless lr >= 0, 0 <= momentum < 1 and weight_decay >= 0.
  flat_sgd(double lr, double momentum = 0.0, double weight_decay = 0.0);

  /// Updates `weights` in place (no autograd history) with `mean_gradient`, a tensor of the same
  /// number of elements (the mean over the round's samples, not the sum). Throws
  /// std::invalid_argument on a size mismatch.
  void step(at::Tensor& weights, const at::Tensor& mean_gradient);

  /// The same step with mean_gradient = scale * gradient_sum, without materializing the mean:
  /// the aggregator passes Σ gₖ and 1 / Σ nₖ, which saves one pass and one allocation per round.
  /// `gradient_sum` is only read.
  void step_scaled(at::Tensor& weights, const at::Tensor& gradient_sum, double scale);

  /// Changes the learning rate for the next steps (schedules, linear scaling with batch size).
  void set_lr(double lr);
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double weight_decay() const { return weight_decay_; }

  /// The momentum buffer (undefined before the first step or when momentum is 0), for
  /// checkpoints; set_momentum_buffer restores one (an undefined tensor resets it).
  const at::Tensor& momentum_buffer() const { return buffer_; }
  void set_momentum_buffer(at::Tensor buffer) { buffer_ = std::move(buffer); }

  /// Steps taken so far.
  int64_t steps() const { return steps_; }

 private:
  double lr_;
  double momentum_;
  double weight_decay_;
  at::Tensor buffer_;
  int64_t steps_ = 0;
};

}  // namespace hetsgd
