#pragma once
/// \file
/// Conversion between a module's parameters (or gradients) and ONE contiguous 1-D float tensor:
/// the form in which weights and gradients travel between workers and the aggregator.
///
/// Layout: the module's parameters() in registration order, each flattened row-major, back to
/// back. Two replicas of the same model therefore agree on the layout.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

namespace hetsgd {

/// Total number of scalar parameters (elements) of `module`, recursively.
int64_t parameter_count(const torch::nn::Module& module);

/// A new contiguous 1-D tensor (same dtype as the parameters, float32 for our models) holding a
/// copy of every parameter. It does not require grad and shares no storage with the module.
at::Tensor flatten_parameters(const torch::nn::Module& module);

/// Copies `flat` (1-D, parameter_count elements) into the parameters, in place and without
/// recording autograd history. Throws std::invalid_argument on a size or rank mismatch.
void load_flat_parameters(torch::nn::Module& module, const at::Tensor& flat);

/// A new contiguous 1-D tensor of the accumulated gradients (parameter .grad), with zeros for
/// parameters whose gradient is undefined (never reached by a backward pass).
at::Tensor flatten_gradients(const torch::nn::Module& module);

/// Sets every defined gradient to zero in place (keeping its buffer, so no reallocation in the
/// next backward pass).
void zero_gradients(torch::nn::Module& module);

}  // namespace hetsgd
