#pragma once
/// \file
/// The reference loop of the benchmarks: plain LibTorch training on one thread, with none of
/// hetsgd's runtime (no actors, no flat tensors, no samplers), only hetsgd's model definitions
/// and data loader. Throughputs of hetsgd runs are compared against it.

#include "gpu/image_dataset.hpp"

#include <cstdint>
#include <string>

namespace hetsgd {
namespace bench {

/// Trains `model_name` (hetsgd::make_model(model_name, seed)) on `data` with
/// torch::optim::SGD (lr 0.05, no momentum), mini-batches of `batch` drawn from a per-epoch
/// torch::randperm (seeded with `seed`), mean cross-entropy, zero_grad / backward / step, for
/// `seconds` of wall time after 2 untimed warm-up batches, and returns samples per second.
/// Sets torch's intra-op threads to 1 (torch::set_num_threads(1)); run the process with
/// OPENBLAS_NUM_THREADS=1 as well, since OpenBLAS reads it only at load time. Changes the torch
/// global generator (torch::manual_seed(seed)). Throws std::invalid_argument on batch < 1,
/// seconds < 0 or an empty data set.
double plain_libtorch_loop_samples_per_s(const std::string& model_name, const image_dataset& data,
                                         int64_t batch, double seconds, uint64_t seed);

}  // namespace bench
}  // namespace hetsgd
