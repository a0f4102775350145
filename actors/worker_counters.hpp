#pragma once
/// What one worker incarnation computed, kept outside the actor so that it survives the actor:
/// when a crash fault kills a worker, its state is lost, but the run still knows how many samples
/// it computed and never delivered, and books them as dropped (`crashed`). In one process this is
/// the emulator's own bookkeeping, like a process table; the aggregator reads it after the
/// worker died (or replaced itself by rejoining), and at a checkpoint while it runs (atomics).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "policies/policy_types.hpp"

namespace hetsgd {

struct worker_counters {
  std::atomic<std::uint64_t> samples_computed{0};
  std::atomic<std::uint64_t> samples_pushed{0};     ///< in contributions sent to the aggregator
  std::atomic<std::uint64_t> samples_discarded{0};  ///< thrown away by restarts
};

/// The counters of the current incarnation of every worker id.
class counter_board {
 public:
  /// Fresh counters for a new incarnation of worker `w` (replacing the previous one's).
  std::shared_ptr<worker_counters> open(worker_id w) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto c = std::make_shared<worker_counters>();
    current_[w] = c;
    return c;
  }
  /// The current incarnation's counters of `w` (nullptr if none).
  std::shared_ptr<worker_counters> current(worker_id w) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = current_.find(w);
    return it == current_.end() ? nullptr : it->second;
  }
  /// Samples computed by the current incarnations, summed: it changes whenever any worker
  /// computes (it can also fall, when an incarnation is replaced).
  std::uint64_t current_computed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::uint64_t sum = 0;
    for (const auto& [w, c] : current_)
      sum += c->samples_computed;
    return sum;
  }

 private:
  mutable std::mutex mutex_;
  std::map<worker_id, std::shared_ptr<worker_counters>> current_;
};

}  // namespace hetsgd
