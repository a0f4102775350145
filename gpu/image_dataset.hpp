#pragma once
/// \file
/// An in-memory labelled image data set, shared read-only by every worker of a process.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace hetsgd {

/// Images and labels held as two CPU tensors.
///
/// Sharing: copies of this struct share storage (tensors are refcounted), so one data set loaded
/// once serves every worker in the process without copies. Nobody mutates it: every consumer
/// (samplers, gradient steps, evaluation) only reads, gathering micro-batches with index_select,
/// which allocates new tensors. Code that wants to modify images must clone them first.
struct image_dataset {
  /// [N, 1, 28, 28] float32: pixel values scaled to [0, 1], then normalized as (x - mean) / std.
  at::Tensor images;
  /// [N] int64 class indices in [0, classes).
  at::Tensor labels;

  /// Number of samples N (0 for a default-constructed data set).
  int64_t size() const;

  /// Samples [begin, end) as views of the same storage (no copy). Throws std::out_of_range
  /// unless 0 <= begin <= end <= size().
  image_dataset slice(int64_t begin, int64_t end) const;
};

} // namespace hetsgd
