#pragma once
/// \file
/// Test-set evaluation of a model.

#include "gpu/image_dataset.hpp"

#include <cstdint>

namespace hetsgd {

class classifier;

struct eval_result {
  double accuracy = 0;  ///< fraction of samples classified correctly, in [0, 1]
  double loss = 0;      ///< mean cross-entropy per sample (nats)
  int64_t samples = 0;  ///< how many samples were evaluated
};

/// Evaluates the first `limit` samples of `data` (0 = all; a limit above size() means all) in
/// batches of `batch`, in eval mode and without autograd. The model's train/eval mode is
/// restored afterwards and its gradients are untouched, so a worker's replica can be evaluated
/// between micro-batches. Throws std::invalid_argument if limit < 0 or batch < 1.
eval_result evaluate(classifier& model, const image_dataset& data, int64_t limit = 0,
                     int64_t batch = 1000);

}  // namespace hetsgd
