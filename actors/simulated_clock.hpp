#pragma once
/// The simulated clock (cluster.clock = "simulated"): virtual time, read from the actor clock of
/// CAF's deterministic test scheduler. Nothing advances it but the simulation driver, which
/// jumps it to the next pending timer once every message of the current instant is handled, so
/// a micro-batch's modelled duration (a delayed message) is the only way time passes.

#include <caf/detail/test_actor_clock.hpp>

#include "actors/run_clock.hpp"

namespace hetsgd {

class simulated_clock final : public run_clock {
 public:
  /// `offset_s`: where the clock starts (a resumed run continues its original run clock).
  simulated_clock(const caf::detail::test_actor_clock& clock, double offset_s)
      : clock_(clock),
        start_(clock.now() - std::chrono::duration_cast<caf::actor_clock::duration_type>(
                               std::chrono::duration<double>(offset_s))) {}
  double now_s() const override {
    return std::chrono::duration<double>(clock_.now() - start_).count();
  }
  const char* kind() const override { return "simulated"; }
  bool simulated() const override { return true; }

 private:
  const caf::detail::test_actor_clock& clock_;
  caf::actor_clock::time_point start_;
};

}  // namespace hetsgd
