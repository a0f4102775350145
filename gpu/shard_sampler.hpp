#pragma once
/// \file
/// Seeded sharding of a data set among workers, with per-epoch reshuffling of each shard.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace hetsgd {

/// One seeded permutation of [0, dataset_size), the same for every worker of a job (all derive
/// it from the job seed). Shared and cached per (dataset_size, seed) while any sampler uses it,
/// so N samplers in one process hold one copy.
std::shared_ptr<const std::vector<int64_t>> global_permutation(int64_t dataset_size, uint64_t seed);

/// Draws sample indices for one worker.
///
/// The data set is permuted once (global_permutation(dataset_size, seed)); worker i of W takes
/// the contiguous slice [floor(N*i/W), floor(N*(i+1)/W)) of that permutation, so shards are
/// disjoint, cover the data set and differ in size by at most one. Each pass over the shard (an
/// epoch) visits it in a fresh order seeded by (seed, worker, epoch, share). Randomness comes from
/// std::mt19937_64 with a portable shuffle, independent of the torch global generator: the same
/// constructor arguments and calls give the same sequence, on any thread and any platform.
///
/// Not thread-safe: one sampler per worker.
class shard_sampler {
 public:
  /// Throws std::invalid_argument unless dataset_size > 0, workers >= 1 and
  /// 0 <= worker < workers. A worker whose even share is empty (dataset_size < workers) may be
  /// constructed, but next(n > 0) throws until set_share gives it samples.
  shard_sampler(int64_t dataset_size, int worker, int workers, uint64_t seed);

  /// The next n indices (int64, CPU, 1-D) into the data set. When the shard is exhausted a new
  /// epoch starts with a reshuffled shard, so one batch may span two epochs. n = 0 gives an
  /// empty tensor; n < 0 throws std::invalid_argument; an empty shard throws std::logic_error.
  at::Tensor next(int64_t n);

  /// Index (from 0) of the pass over the shard that the next sample comes from.
  int64_t epoch() const { return epoch_; }

  /// Samples already drawn from the current epoch, in [0, shard_size()).
  int64_t position() const { return position_; }

  /// Total samples drawn since construction.
  int64_t samples_drawn() const { return drawn_; }

  /// Re-partitions this worker to the slice [begin, end) of the global permutation (the
  /// dynamic-batch policies give faster workers bigger shares). The next sample starts a fresh,
  /// reshuffled pass over the new slice; epoch() advances by one if the current pass had begun,
  /// and is unchanged otherwise. Throws std::invalid_argument unless
  /// 0 <= begin <= end <= dataset_size().
  void set_share(int64_t begin, int64_t end);

  /// The slice of the global permutation this worker draws from.
  int64_t share_begin() const { return begin_; }
  int64_t share_end() const { return end_; }
  int64_t shard_size() const { return end_ - begin_; }

  int64_t dataset_size() const { return dataset_size_; }
  int worker() const { return worker_; }
  int workers() const { return workers_; }
  uint64_t seed() const { return seed_; }

  /// Worker `worker`'s even share [floor(N*worker/workers), floor(N*(worker+1)/workers)).
  static std::pair<int64_t, int64_t> even_share(int64_t dataset_size, int worker, int workers);

 private:
  void start_pass();

  int64_t dataset_size_;
  int worker_;
  int workers_;
  uint64_t seed_;
  std::shared_ptr<const std::vector<int64_t>> permutation_;
  int64_t begin_ = 0;
  int64_t end_ = 0;
  uint64_t share_generation_ = 0;  ///< how many times set_share was called
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  int64_t drawn_ = 0;
  std::vector<int64_t> order_;  ///< the current epoch's order of this shard
};

}  // namespace hetsgd
