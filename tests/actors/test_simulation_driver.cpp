// The simulation driver on CAF's deterministic test scheduler, with small hand-made actors: the
// documented order of events (virtual time first; ties in the order the timers were set; every
// message of an instant before the next timer), and the diagnoses of runs that cannot go on.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/simulated_clock.hpp"
#include "actors/simulation_driver.hpp"

using namespace hetsgd;

namespace {

using note_atom = caf::atom_constant<caf::atom("note")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

/// What the test actors saw: (virtual time, label).
using journal = std::vector<std::pair<double, std::string>>;

struct simulated_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<simulated_clock> clock;

  simulated_system() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    clock = std::make_shared<simulated_clock>(
      dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler()).clock(), 0.0);
  }
};

/// Writes every note it gets to the journal, with the virtual time it arrived at.
caf::behavior recorder(caf::event_based_actor*, std::shared_ptr<journal> j,
                       std::shared_ptr<simulated_clock> clock) {
  return {[=](note_atom, const std::string& label) { j->emplace_back(clock->now_s(), label); }};
}

/// After `delay_s`, sends `label` to `to`; on arrival of a ping, answers at once with a note
/// (a message that takes no virtual time).
caf::behavior timer_setter(caf::event_based_actor* self, caf::actor to, double delay_s,
                           std::string label) {
  self->delayed_send(to, to_duration(delay_s), note_atom::value, label);
  return {[=](ping_atom) { self->send(to, note_atom::value, label + " answered"); }};
}

/// Sends itself a message forever without waiting: an instant that never ends.
caf::behavior spinner(caf::event_based_actor* self) {
  self->send(self, ping_atom::value);
  return {[=](ping_atom) { self->send(self, ping_atom::value); }};
}

/// A heartbeat every second, forever: time passes, nothing else happens.
caf::behavior heartbeat(caf::event_based_actor* self) {
  self->delayed_send(self, std::chrono::seconds(1), ping_atom::value);
  return {[=](ping_atom) { self->delayed_send(self, std::chrono::seconds(1), ping_atom::value); }};
}

}  // namespace

CATCH_TEST_CASE("simulation driver: events come in virtual-time order, ties as the timers were set",
                "[simulation]") {
  simulated_system s;
  auto seen = std::make_shared<journal>();
  auto rec = s.sys->spawn(recorder, seen, s.clock);
  // Set in this order: c (later), then a and b at the same instant.
  s.sys->spawn(timer_setter, rec, 0.5, "c");
  s.sys->spawn(timer_setter, rec, 0.25, "a");
  s.sys->spawn(timer_setter, rec, 0.25, "b");
  simulation_driver driver(*s.sys, *s.clock, simulation_limits{}, [] { return 0; });
  // Runs until every timer has fired and nothing is left to do.
  while (driver.advance()) {
  }
  CATCH_CHECK_THAT(driver.diagnosis(), Catch::Contains("no message and no timer is pending"));
  CATCH_REQUIRE(seen->size() == 3);
  CATCH_CHECK((*seen)[0] == std::make_pair(0.25, std::string("a")));
  CATCH_CHECK((*seen)[1] == std::make_pair(0.25, std::string("b")));
  CATCH_CHECK((*seen)[2] == std::make_pair(0.5, std::string("c")));
  CATCH_CHECK(driver.stats().timers >= 3);
  caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
  driver.drain();
}

CATCH_TEST_CASE("simulation driver: a timer's consequences are handled before the next timer fires",
                "[simulation]") {
  simulated_system s;
  auto seen = std::make_shared<journal>();
  auto rec = s.sys->spawn(recorder, seen, s.clock);
  auto x = s.sys->spawn(timer_setter, rec, 1.0, "x");
  // A ping at 0.5 s is answered at once; the answer lands at 0.5 s, before x's timer at 1 s.
  caf::scoped_actor self{*s.sys};
  self->delayed_send(x, std::chrono::milliseconds(500), ping_atom::value);
  simulation_driver driver(*s.sys, *s.clock, simulation_limits{}, [] { return 0; });
  while (driver.advance()) {
  }
  CATCH_REQUIRE(seen->size() == 2);
  CATCH_CHECK((*seen)[0] == std::make_pair(0.5, std::string("x answered")));
  CATCH_CHECK((*seen)[1] == std::make_pair(1.0, std::string("x")));
  caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  driver.drain();
}

CATCH_TEST_CASE("simulation driver: a loop of messages that never lets time advance is diagnosed",
                "[simulation]") {
  simulated_system s;
  auto spin = s.sys->spawn(spinner);
  simulation_limits limits;
  limits.max_messages_per_instant = 5000;
  simulation_driver driver(*s.sys, *s.clock, limits, [] { return 0; });
  CATCH_CHECK_FALSE(driver.advance());
  CATCH_CHECK_THAT(driver.diagnosis(), Catch::Contains("5001 messages handled at t = 0 s") &&
                                         Catch::Contains("without virtual time advancing"));
  caf::anon_send_exit(spin, caf::exit_reason::kill);
  driver.drain();
}

CATCH_TEST_CASE("simulation driver: no progress for stall_s virtual seconds stops the run",
                "[simulation]") {
  simulated_system s;
  auto beat = s.sys->spawn(heartbeat);
  simulation_limits limits;
  limits.stall_s = 10.0;
  std::uint64_t progress = 0;
  simulation_driver driver(*s.sys, *s.clock, limits, [&] { return progress; });
  // Progress until t = 3 s keeps it going ...
  while (s.clock->now_s() < 3.0) {
    CATCH_REQUIRE(driver.advance());
    ++progress;
  }
  // ... then 10 s without any: the heartbeat at t = 14 s would be past the limit.
  while (driver.advance())
    CATCH_REQUIRE(s.clock->now_s() < 14.0);
  CATCH_CHECK(s.clock->now_s() == Approx(13.0));
  CATCH_CHECK_THAT(driver.diagnosis(), Catch::Contains("no sample computed since t = 3 s") &&
                                         Catch::Contains("next event is at t = 14 s"));
  caf::anon_send_exit(beat, caf::exit_reason::kill);
  driver.drain();
}

CATCH_TEST_CASE("simulation driver: nothing pending at all is diagnosed, not waited for",
                "[simulation]") {
  simulated_system s;
  auto seen = std::make_shared<journal>();
  auto rec = s.sys->spawn(recorder, seen, s.clock);  // waits for a note nobody sends
  simulation_driver driver(*s.sys, *s.clock, simulation_limits{}, [] { return 0; });
  CATCH_CHECK_FALSE(driver.advance());
  CATCH_CHECK_THAT(driver.diagnosis(), Catch::Contains("no message and no timer is pending"));
  caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
  driver.drain();
}
