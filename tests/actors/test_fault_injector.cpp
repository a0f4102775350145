// The fault injector on CAF's test coordinator: faults fire at their times (virtual timers, no
// sleeps), lasting ones switch off after their duration, a crash kills, a rejoin spawns a new
// incarnation, and the injector's exit takes the incarnations it spawned along.
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "actor_harness.hpp"
#include "actors/fault_injector_actor.hpp"

using namespace hetsgd;
using namespace hetsgd::actor_test;

namespace {

/// What the fake workers saw: fault messages and deaths, per incarnation.
struct fault_log {
  std::vector<std::tuple<int, std::string, double, bool>> faults;  ///< incarnation, kind, ...
  std::vector<int> died;                                          ///< incarnations, in order
};

caf::actor spawn_fake_worker(caf::actor_system& sys, std::shared_ptr<fault_log> log,
                             int incarnation) {
  auto a = sys.spawn([log, incarnation]() -> caf::behavior {
    return {[=](fault_atom, const std::string& kind, double factor, bool on) {
      log->faults.emplace_back(incarnation, kind, factor, on);
    }};
  });
  caf::actor_cast<caf::abstract_actor*>(a)->attach_functor(
    [log, incarnation](const caf::error&) { log->died.push_back(incarnation); });
  return a;
}

fault_spec fault(const std::string& kind, std::int64_t worker, double at_s, double duration_s,
                 double factor = 1.0) {
  fault_spec f;
  f.kind = kind;
  f.worker = worker;
  f.at_s = at_s;
  f.duration_s = duration_s;
  f.factor = factor;
  return f;
}

struct injector_fixture {
  harness h;
  std::shared_ptr<fault_log> log = std::make_shared<fault_log>();
  std::vector<caf::actor> first;  ///< incarnations 0 and 1 (workers 0 and 1)
  int next_incarnation = 2;
  std::vector<worker_id> respawned;
  caf::actor injector;

  void start(std::vector<fault_spec> faults) {
    for (int i = 0; i < 2; ++i)
      first.push_back(spawn_fake_worker(h.sys, log, i));
    fault_injector_params p;
    p.faults = std::move(faults);
    p.clock = h.clock;
    p.recorder = h.recorder;
    p.workers = first;
    p.respawn = [this](worker_id w) {
      respawned.push_back(w);
      return spawn_fake_worker(h.sys, log, next_incarnation++);
    };
    injector = spawn_fault_injector(h.sys, std::move(p));
    h.settle();
  }
  /// Moves virtual time (the manual clock and CAF's timers) forward by `s` seconds.
  void advance(double s) {
    h.clock->set(h.clock->now_s() + s);
    h.sched.advance_time(std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(s)));
    h.settle();
  }
  ~injector_fixture() {
    caf::anon_send_exit(injector, caf::exit_reason::kill);
    for (auto& a : first)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    h.settle();
  }
};

}  // namespace

CATCH_TEST_CASE("fault injector: a slowdown starts and ends on time, and is logged",
                "[faults][injector]") {
  injector_fixture fx;
  fx.start({fault("slowdown", 0, 1.0, 2.0, 4.0)});
  CATCH_CHECK(fx.log->faults.empty());
  fx.advance(0.9);
  CATCH_CHECK(fx.log->faults.empty());
  fx.advance(0.2);  // 1.1 s
  CATCH_REQUIRE(fx.log->faults.size() == 1);
  CATCH_CHECK(fx.log->faults[0] == std::make_tuple(0, std::string("slowdown"), 4.0, true));
  fx.advance(1.8);  // 2.9 s: still on
  CATCH_CHECK(fx.log->faults.size() == 1);
  fx.advance(0.2);  // 3.1 s
  CATCH_REQUIRE(fx.log->faults.size() == 2);
  CATCH_CHECK(std::get<3>(fx.log->faults[1]) == false);
  auto events = fx.h.w->events_of_type("fault");
  CATCH_REQUIRE(events.size() == 2);
  CATCH_CHECK(events[0]["phase"] == "start");
  CATCH_CHECK(events[0]["worker"] == 0);
  CATCH_CHECK(events[0]["factor"] == 4.0);
  CATCH_CHECK(events[1]["phase"] == "end");
}

CATCH_TEST_CASE("fault injector: pause and nan without a duration last until the end",
                "[faults][injector]") {
  injector_fixture fx;
  fx.start({fault("pause", 1, 0.5, 0.0), fault("nan", 0, 0.5, 0.0)});
  fx.advance(100.0);
  CATCH_REQUIRE(fx.log->faults.size() == 2);
  for (auto& f : fx.log->faults)
    CATCH_CHECK(std::get<3>(f) == true);  // never switched off
}

CATCH_TEST_CASE("fault injector: crash kills, rejoin spawns a new incarnation that gets later "
                "faults",
                "[faults][injector]") {
  injector_fixture fx;
  fx.start({fault("crash", 1, 1.0, 0.0), fault("rejoin", 1, 2.0, 0.0),
            fault("slowdown", 1, 3.0, 0.0, 2.0)});
  fx.advance(1.5);
  CATCH_CHECK(fx.log->died == std::vector<int>{1});
  CATCH_CHECK(fx.respawned.empty());
  fx.advance(1.0);  // 2.5 s: the rejoin
  CATCH_CHECK(fx.respawned == std::vector<worker_id>{1});
  fx.advance(1.0);  // 3.5 s: the slowdown reaches the new incarnation (2), not the dead one
  CATCH_REQUIRE(fx.log->faults.size() == 1);
  CATCH_CHECK(std::get<0>(fx.log->faults[0]) == 2);
  // The injector's exit takes the incarnation it spawned along; worker 0's first one stays.
  caf::anon_send_exit(fx.injector, caf::exit_reason::user_shutdown);
  fx.h.settle();
  CATCH_CHECK(fx.log->died == std::vector<int>{1, 2});
}

CATCH_TEST_CASE("fault injector: a rejoin of a live worker restarts it", "[faults][injector]") {
  injector_fixture fx;
  fx.start({fault("rejoin", 0, 1.0, 0.0)});
  fx.advance(1.5);
  CATCH_CHECK(fx.log->died == std::vector<int>{0});
  CATCH_CHECK(fx.respawned == std::vector<worker_id>{0});
}

CATCH_TEST_CASE("fault injector: only the kinds this build plays are supported",
                "[faults][injector]") {
  for (auto k : {"slowdown", "pause", "nan", "crash", "rejoin"})
    CATCH_CHECK(fault_kind_supported(k));
  for (auto k : {"delay", "drop", "disturbance", "slow_link", "bogus"})
    CATCH_CHECK_FALSE(fault_kind_supported(k));
}
