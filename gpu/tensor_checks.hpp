#pragma once
/// \file
/// Sanity checks on tensors arriving from workers (a NaN or Inf gradient must not reach the
/// master weights).

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace hetsgd {

/// True when every element is finite (no NaN, no +-Inf). Integer tensors are always finite; an
/// undefined or empty tensor counts as finite.
bool all_finite(const at::Tensor& t);

/// Number of NaN or infinite elements (0 for integer, undefined or empty tensors).
int64_t count_non_finite(const at::Tensor& t);

/// A hash of the tensor's bytes (contiguous, CPU): equal bits give equal hashes, and one
/// flipped bit almost surely changes it. Replicas of the weights compare it to prove that
/// they are bit-identical. 0 for an undefined tensor.
std::uint64_t bit_hash(const at::Tensor& t);

}  // namespace hetsgd
