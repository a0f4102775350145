#pragma once
/// The straggler report: each worker's step time (busy seconds of one job — compute plus emulated
/// slowness, never waiting) as min / median / max and an EWMA, and which worker is the current
/// straggler. Plain bookkeeping, no actors: the aggregator feeds it every contribution. Memory is
/// bounded per worker: min, max and the EWMAs cover every step, the median the last
/// `median_window` steps (a long run at many workers must not grow with its step count).
///
/// Who is a straggler: steps differ in size (DBS batches, ABS-SGD hand-overs), so workers are
/// compared by their EWMA of seconds per sample. The straggler is the slowest worker when its
/// EWMA is more than `factor` times the median of all workers' EWMAs (at least two workers
/// measured); it stops being one when it is no longer above that line or somebody else is the
/// slowest. A worker that left is not a candidate (forget()).

#include <cstdint>
#include <optional>
#include <vector>

#include "policies/policy_types.hpp"

namespace hetsgd {

struct step_time_stats {
  std::uint64_t steps = 0;
  double min_s = 0.0;
  double median_s = 0.0;  ///< over the last median_window steps
  double max_s = 0.0;
  double ewma_s = 0.0;             ///< EWMA of step seconds
  double ewma_s_per_sample = 0.0;  ///< EWMA of busy seconds per sample (what is compared)
};

/// The straggler changed: `worker` became one (`became`) or stopped being one.
struct straggler_change {
  worker_id worker = 0;
  bool became = true;
};

class straggler_report {
 public:
  static constexpr std::size_t median_window = 4096;  ///< steps kept per worker for the median

  /// `alpha` in (0, 1]: weight of the newest step in the EWMAs. `factor` > 1.
  /// Throws std::invalid_argument otherwise.
  straggler_report(std::size_t workers, double alpha, double factor);

  /// One finished step of `w`: `step_s` busy seconds over `samples` samples. Steps with no
  /// samples are ignored. Returns the changes of the current straggler (at most two: the old one
  /// recovered, the new one became).
  std::vector<straggler_change> on_step(worker_id w, double step_s, std::uint64_t samples);
  /// `w` left: it stops being a candidate (and the straggler, if it was).
  std::vector<straggler_change> forget(worker_id w);

  std::optional<worker_id> current() const { return current_; }
  /// Statistics of `w` so far (steps = 0: none).
  step_time_stats stats(worker_id w) const;
  std::size_t workers() const { return history_.size(); }

 private:
  std::vector<straggler_change> reassess();

  double alpha_;
  double factor_;
  /// One worker's step times, seconds: all-time count, min and max, and the latest
  /// median_window steps in a ring.
  struct history {
    std::uint64_t steps = 0;
    double min_s = 0.0;
    double max_s = 0.0;
    std::vector<double> recent;
    std::size_t next = 0;  ///< ring slot the next step overwrites once `recent` is full
  };
  std::vector<history> history_;
  std::vector<double> ewma_s_;
  std::vector<double> ewma_per_sample_;
  std::vector<bool> active_;  ///< measured and not gone
  std::vector<bool> fresh_;   ///< no step since the start or since it left
  std::optional<worker_id> current_;
};

}  // namespace hetsgd
