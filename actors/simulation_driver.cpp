#include "actors/simulation_driver.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <sstream>

namespace hetsgd {
namespace {

caf::scheduler::test_coordinator& coordinator(caf::actor_system& sys) {
  return dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o.precision(6);
  o << s << " s";
  return o.str();
}

}  // namespace

simulation_driver::simulation_driver(caf::actor_system& sys, const run_clock& clock,
                                     simulation_limits limits,
                                     std::function<std::uint64_t()> progress)
    : sys_(sys), clock_(clock), limits_(limits), progress_(std::move(progress)) {
  last_progress_ = progress_();
  last_progress_at_s_ = clock_.now_s();
}

bool simulation_driver::uses_test_scheduler(caf::actor_system& sys) {
  return dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler()) != nullptr;
}

bool simulation_driver::advance() {
  auto& sched = coordinator(sys_);
  std::uint64_t at_instant = 0;
  while (sched.has_job()) {
    sched.run_once();
    ++stats_.messages;
    if (++at_instant > limits_.max_messages_per_instant) {
      diagnosis_ = "simulated run stopped: " + std::to_string(at_instant) +
                   " messages handled at t = " + seconds_text(clock_.now_s()) +
                   " without virtual time advancing (a loop of messages that never waits)";
      return false;
    }
  }
  const double now = clock_.now_s();
  if (auto p = progress_(); p != last_progress_) {
    last_progress_ = p;
    last_progress_at_s_ = now;
  }
  if (!sched.has_pending_timeout()) {
    diagnosis_ = "simulated run stopped at t = " + seconds_text(now) +
                 ": no message and no timer is pending, so nothing can happen any more";
    return false;
  }
  const auto& clock = sched.clock();
  const double next =
    now + std::chrono::duration<double>(clock.schedule().begin()->first - clock.now()).count();
  if (next - last_progress_at_s_ > limits_.stall_s) {
    diagnosis_ =
      "simulated run stalled: no sample computed since t = " + seconds_text(last_progress_at_s_) +
      " and the next event is at t = " + seconds_text(next) +
      " (simulation.stall_s = " + seconds_text(limits_.stall_s) +
      "); every worker is paused, crashed or waiting for an answer that never comes";
    return false;
  }
  sched.trigger_timeout();
  ++stats_.timers;
  return true;
}

void simulation_driver::drain() {
  auto& sched = coordinator(sys_);
  for (std::uint64_t n = 0; sched.has_job() && n < limits_.max_messages_per_instant; ++n) {
    sched.run_once();
    ++stats_.messages;
  }
}

}  // namespace hetsgd
