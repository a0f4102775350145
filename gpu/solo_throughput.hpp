#pragma once
/// \file
/// A worker's solo throughput: the denominator of cluster utilization.

#include "gpu/image_dataset.hpp"

#include <cstdint>
#include <string>

namespace hetsgd {

/// Samples per second of forward+backward micro-batches (accumulate_gradients, with gradients
/// zeroed between micro-batches, as a worker does) of model `model_name` (initialized from
/// `seed`) over `data`, drawn by a shard_sampler(data.size(), 0, 1, seed). Runs on the calling
/// thread after 2 untimed warm-up micro-batches, for at least `min_seconds` of wall time and at
/// least one micro-batch. It uses the thread settings in force (call pin_compute_threads_to_one
/// first to measure what a one-core worker does) and leaves the torch generator alone.
/// Throws std::invalid_argument on micro_batch < 1, min_seconds < 0 or an empty data set,
/// and what make_model throws on an unknown model.
double measure_solo_throughput(const std::string& model_name, const image_dataset& data,
                               int64_t micro_batch, double min_seconds, uint64_t seed);

}  // namespace hetsgd
