#pragma once
/// \file
/// An in-memory labelled image data set, shared read-only by every worker of a process.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace hetsgd {

/// Images and labels held as two CPU tensors.
///
/// Sharing: copies of this struct share storage (tensors are refcounted), so one data set loaded
/// once serves every worker in the process without copies. Nobody mutates it: every consumer
/// (samplers, gradient steps, evaluation) only reads, gathering micro-batches with index_select,
/// which allocates new tensors. Code that wants to modify images must clone them first.
struct image_dataset {
  /// [N, ...] float32: for Fashion-MNIST [N, 1, 28, 28], pixel values scaled to [0, 1], then
  /// normalized as (x - mean) / std; for a program's own data set whatever its model takes.
  at::Tensor images;
  /// [N] int64 class indices in [0, classes).
  at::Tensor labels;

  /// Number of samples N (0 for a default-constructed data set).
  int64_t size() const;

  /// Samples [begin, end) as views of the same storage (no copy). Throws std::out_of_range
  /// unless 0 <= begin <= end <= size().
  image_dataset slice(int64_t begin, int64_t end) const;
};

/// What a run trains on (train) and evaluates on (test): Fashion-MNIST (gpu/fashion_mnist.hpp)
/// or a data set a program embedding hetsgd made itself (run_options::data).
struct labeled_data {
  image_dataset train;
  image_dataset test;
};

/// "" when `d` can be trained on, else what is wrong with it, naming the split (train/test) and
/// the tensor: both splits non-empty; images float32 on the CPU with at least 2 dimensions, of
/// the same shape past the first in both splits; labels 1-D int64 on the CPU, as many as
/// images, none negative (the model's logits must cover the largest).
std::string check_labeled_data(const labeled_data& d);

}  // namespace hetsgd
