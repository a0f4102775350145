#pragma once
/// Drives a run on the simulated clock. The actor system runs CAF's deterministic test scheduler
/// (scheduler.policy = "testing"): no scheduler threads, every actor's messages are handled on
/// the thread that calls advance(), and timers (delayed messages, request deadlines) wait in the
/// test actor clock until the driver fires them.
///
/// The order of events, which makes a run reproducible bit for bit:
/// 1. Virtual time stands still while any message is pending: all messages of an instant are
///    handled before the next timer fires, and handling one takes no virtual time.
/// 2. Pending messages are handled in the order the actors became ready, one message per turn
///    (CAF's test coordinator: one FIFO job queue).
/// 3. Timers due at the same instant fire in the order they were set (the clock keeps them in a
///    multimap by due time), each followed by every message it causes (rule 1).
///
/// A run that cannot go on stops with a diagnosis instead of spinning: when no timer is left,
/// when nothing was computed for simulation.stall_s virtual seconds, or when the messages of one
/// instant never run out (a loop that never lets time advance).

#include <caf/fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "actors/run_clock.hpp"

namespace hetsgd {

struct simulation_limits {
  double stall_s = 600.0;                            ///< virtual seconds without progress
  std::uint64_t max_messages_per_instant = 1000000;  ///< beyond this, a livelock
};

struct simulation_stats {
  std::uint64_t messages = 0;  ///< messages handled
  std::uint64_t timers = 0;    ///< timers fired
};

class simulation_driver {
 public:
  /// `progress` returns a number that changes whenever the run makes progress (samples
  /// computed); `sys` must run the test scheduler (see uses_test_scheduler).
  simulation_driver(caf::actor_system& sys, const run_clock& clock, simulation_limits limits,
                    std::function<std::uint64_t()> progress);

  /// Handles every message of the current instant, then fires the next timer, which advances
  /// virtual time to its due time. False when the run cannot go on; diagnosis() says why.
  bool advance();

  /// Handles what is pending without firing timers (at shutdown).
  void drain();

  const std::string& diagnosis() const { return diagnosis_; }
  const simulation_stats& stats() const { return stats_; }

  /// `sys` runs CAF's deterministic test scheduler: actors must not be detached (a private
  /// thread would escape the virtual-time order).
  static bool uses_test_scheduler(caf::actor_system& sys);

 private:
  caf::actor_system& sys_;
  const run_clock& clock_;
  simulation_limits limits_;
  std::function<std::uint64_t()> progress_;
  std::uint64_t last_progress_ = 0;
  double last_progress_at_s_ = 0.0;
  simulation_stats stats_;
  std::string diagnosis_;
};

}  // namespace hetsgd
