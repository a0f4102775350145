#include "gpu/shard_sampler.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>

namespace hetsgd {
namespace {

/// SplitMix64 finalizer: mixes seed components into well-spread 64-bit seeds.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t derive_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x5eed5eed5eed5eedULL;
  for (uint64_t p : parts)
    h = mix(h ^ mix(p));
  return h;
}

/// Uniform integer in [0, bound) without modulo bias; portable, unlike
/// std::uniform_int_distribution, whose algorithm differs between standard libraries.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t r = 0;
  do
    r = rng();
  while (r >= limit);
  return r % bound;
}

/// Fisher-Yates shuffle with `rng`.
void shuffle(std::vector<int64_t>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_below(rng, i));
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace

std::shared_ptr<const std::vector<int64_t>> global_permutation(int64_t dataset_size,
                                                               uint64_t seed) {
  if (dataset_size <= 0)
    throw std::invalid_argument("global_permutation: dataset_size must be positive, got " +
                                std::to_string(dataset_size));
  static std::mutex mutex;
  static std::map<std::pair<int64_t, uint64_t>, std::weak_ptr<const std::vector<int64_t>>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{dataset_size, seed}];
  if (auto hit = slot.lock())
    return hit;
  auto perm = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(dataset_size));
  for (int64_t i = 0; i < dataset_size; ++i)
    (*perm)[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(derive_seed({seed, 0x9e12ULL}));
  shuffle(*perm, rng);
  std::shared_ptr<const std::vector<int64_t>> result = std::move(perm);
  slot = result;
  return result;
}

std::pair<int64_t, int64_t> shard_sampler::even_share(int64_t dataset_size, int worker,
                                                      int workers) {
  // N * i fits easily in int64 for any realistic data set (N < 2^40, i < 2^23).
  return {dataset_size * worker / workers, dataset_size * (worker + 1) / workers};
}

shard_sampler::shard_sampler(int64_t dataset_size, int worker, int workers, uint64_t seed)
    : dataset_size_(dataset_size), worker_(worker), workers_(workers), seed_(seed) {
  if (dataset_size <= 0)
    throw std::invalid_argument("shard_sampler: dataset_size must be positive, got " +
                                std::to_string(dataset_size));
  if (workers < 1 || worker < 0 || worker >= workers)
    throw std::invalid_argument("shard_sampler: worker " + std::to_string(worker) + " of " +
                                std::to_string(workers) +
                                " is out of range (need 0 <= worker < workers)");
  permutation_ = global_permutation(dataset_size, seed);
  std::tie(begin_, end_) = even_share(dataset_size, worker, workers);
  start_pass();
}

void shard_sampler::start_pass() {
  const auto& perm = *permutation_;
  order_.assign(perm.begin() + begin_, perm.begin() + end_);
  std::mt19937_64 rng(
    derive_seed({seed_, static_cast<uint64_t>(worker_), static_cast<uint64_t>(epoch_),
                 share_generation_, static_cast<uint64_t>(begin_), static_cast<uint64_t>(end_)}));
  shuffle(order_, rng);
  position_ = 0;
}

at::Tensor shard_sampler::next(int64_t n) {
  if (n < 0)
    throw std::invalid_argument("shard_sampler::next: n must be >= 0, got " + std::to_string(n));
  auto out = at::empty({n}, at::kLong);
  if (n == 0)
    return out;
  if (order_.empty())
    throw std::logic_error("shard_sampler::next: worker " + std::to_string(worker_) +
                           " has an empty share [" + std::to_string(begin_) + ", " +
                           std::to_string(end_) + ")");
  int64_t* dst = out.data_ptr<int64_t>();
  const auto shard = static_cast<int64_t>(order_.size());
  int64_t filled = 0;
  while (filled < n) {
    const int64_t take = std::min(n - filled, shard - position_);
    std::copy(order_.begin() + position_, order_.begin() + position_ + take, dst + filled);
    position_ += take;
    filled += take;
    if (position_ == shard) {  // eagerly, so that epoch() names the pass of the next sample
      ++epoch_;
      start_pass();
    }
  }
  drawn_ += n;
  return out;
}

void shard_sampler::set_share(int64_t begin, int64_t end) {
  if (begin < 0 || begin > end || end > dataset_size_)
    throw std::invalid_argument("shard_sampler::set_share: [" + std::to_string(begin) + ", " +
                                std::to_string(end) + ") is not within [0, " +
                                std::to_string(dataset_size_) + ")");
  if (position_ > 0)
    ++epoch_;
  begin_ = begin;
  end_ = end;
  ++share_generation_;
  start_pass();
}

}  // namespace hetsgd
