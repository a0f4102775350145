#pragma once
/// \file
/// The unit of work of a worker: forward and backward over one micro-batch, accumulating
/// gradients.

#include "gpu/image_dataset.hpp"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

namespace hetsgd {

class classifier;

/// What one micro-batch contributed. Sums, not means, so that results of several micro-batches
/// add up: mean loss = loss_sum / samples, accuracy = correct / samples.
struct micro_batch_result {
  double loss_sum = 0;  ///< sum of the per-sample cross-entropy losses (nats)
  int64_t correct = 0;  ///< samples whose arg-max logit is the label
  int64_t samples = 0;  ///< micro-batch size
};

/// Gathers data[indices] (index_select: the data set is not modified), runs the forward pass,
/// computes cross-entropy with reduction SUM and back-propagates it. Gradients therefore are sums
/// of per-sample gradients and ADD UP in the parameters' .grad across calls: two micro-batches
/// of 16 leave the same .grad as one of 32. Divide by the total sample count (the aggregator
/// does) for the mean gradient, and call zero_gradients to start afresh. The model's train/eval
/// mode is left as it is. `indices` is a 1-D int64 tensor (e.g. from shard_sampler::next); an
/// empty one does nothing. Throws std::invalid_argument on a non-1-D or non-integer index tensor.
micro_batch_result accumulate_gradients(classifier& model, const image_dataset& data,
                                        const at::Tensor& indices);

/// One plain SGD step on the model's own parameters from its accumulated gradient sums:
/// p ← p − scale · p.grad, for every parameter with a gradient (scale = lr / samples, so the step
/// uses the mean gradient). Used by workers in local-steps mode (local SGD); gradients are left
/// as they are (call zero_gradients next).
void apply_local_sgd_step(torch::nn::Module& model, double scale);

}  // namespace hetsgd
