#pragma once
/// The run's clock. Actors and policies read time from here, never from std::chrono directly,
/// so that a simulated clock can replace wall time without touching them.

#include <chrono>
#include <cmath>
#include <memory>

namespace hetsgd {

class run_clock {
 public:
  virtual ~run_clock() = default;
  /// Seconds since the run started.
  virtual double now_s() const = 0;
  /// "real" or "simulated".
  virtual const char* kind() const = 0;
  /// Virtual time: every actor runs on the simulation driver's thread, and durations are
  /// modelled instead of measured.
  virtual bool simulated() const { return false; }
};

/// Wall time from a steady clock, zero at construction.
class real_clock final : public run_clock {
 public:
  /// `offset_s`: where the clock starts (a resumed run continues its original run clock).
  explicit real_clock(double offset_s = 0.0)
      : start_(std::chrono::steady_clock::now() -
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(offset_s))) {}
  double now_s() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  const char* kind() const override { return "real"; }

 private:
  std::chrono::steady_clock::time_point start_;
};

using clock_ptr = std::shared_ptr<const run_clock>;

/// A CAF timeout from seconds (negative or zero → zero), to the nanosecond: the simulated clock
/// adds these up, so coarser rounding would drift from the modelled times.
inline std::chrono::nanoseconds to_duration(double seconds) {
  if (seconds <= 0.0)
    return std::chrono::nanoseconds{0};
  return std::chrono::nanoseconds{std::llround(seconds * 1e9)};
}

}  // namespace hetsgd
