// The fault injector on CAF's test coordinator: faults fire at their times (virtual timers, no
// sleeps), lasting ones switch off after their duration, a crash kills, a rejoin spawns a new
// incarnation, and the injector's exit takes the incarnations it spawned along.
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
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
  std::vector<int> died;                                           ///< incarnations, in order
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

  void start(std::vector<fault_spec> faults) { start_seeded(std::move(faults), 1); }
  void start_seeded(std::vector<fault_spec> faults, std::uint64_t seed) {
    for (int i = 0; i < 2; ++i)
      first.push_back(spawn_fake_worker(h.sys, log, i));
    fault_injector_params p;
    p.faults = std::move(faults);
    p.clock = h.clock;
    p.recorder = h.recorder;
    p.workers = first;
    p.seed = seed;
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
    h.sched.advance_time(
      std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(s)));
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

CATCH_TEST_CASE(
  "fault injector: crash kills, rejoin spawns a new incarnation that gets later "
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

CATCH_TEST_CASE("fault injector: every kind of the config is played", "[faults][injector]") {
  for (auto k :
       {"slowdown", "pause", "nan", "crash", "rejoin", "delay", "drop", "disturbance", "slow_link"})
    CATCH_CHECK(fault_kind_supported(k));
  CATCH_CHECK_FALSE(fault_kind_supported("bogus"));
}

CATCH_TEST_CASE("fault injector: link faults without a worker hit every link, with their value",
                "[faults][injector]") {
  injector_fixture fx;
  auto delay = fault("delay", -1, 1.0, 1.0);
  delay.delay_s = 0.25;
  auto bw = fault("slow_link", 1, 1.0, 0.0);
  bw.bandwidth_mb_s = 2.0;
  fx.start({delay, bw});
  fx.advance(1.5);
  CATCH_REQUIRE(fx.log->faults.size() == 3);
  CATCH_CHECK(fx.log->faults[0] == std::make_tuple(0, std::string("delay"), 0.25, true));
  CATCH_CHECK(fx.log->faults[1] == std::make_tuple(1, std::string("delay"), 0.25, true));
  CATCH_CHECK(fx.log->faults[2] == std::make_tuple(1, std::string("slow_link"), 2e6, true));
  fx.advance(1.0);  // 2.5 s: the delay ended on both links, the slow link lasts
  CATCH_REQUIRE(fx.log->faults.size() == 5);
  CATCH_CHECK(std::get<3>(fx.log->faults[3]) == false);
  CATCH_CHECK(std::get<3>(fx.log->faults[4]) == false);
  auto events = fx.h.w->events_of_type("fault");
  CATCH_REQUIRE(events.size() == 5);
  CATCH_CHECK(events[0]["delay_s"] == 0.25);
  CATCH_CHECK(events[2]["bandwidth_mb_s"] == 2.0);
}

CATCH_TEST_CASE("fault injector: a rejoined incarnation inherits the faults that are on",
                "[faults][injector]") {
  injector_fixture fx;
  auto drop = fault("drop", 0, 0.5, 0.0);
  drop.probability = 0.1;
  fx.start({drop, fault("slowdown", 0, 0.5, 0.0, 3.0), fault("rejoin", 0, 1.0, 0.0)});
  fx.advance(1.5);
  CATCH_REQUIRE(fx.respawned == std::vector<worker_id>{0});
  std::vector<std::string> inherited;
  for (auto& [inc, kind, value, on] : fx.log->faults)
    if (inc == 2 && on)
      inherited.push_back(kind);
  std::sort(inherited.begin(), inherited.end());
  CATCH_CHECK(inherited == std::vector<std::string>{"drop", "slowdown"});
}

namespace {

fault_spec disturbance(double p, std::int64_t max_epochs, double factor = 3.0) {
  auto f = fault("disturbance", -1, 0.0, 0.0, factor);
  f.probability = p;
  f.max_epochs = max_epochs;
  return f;
}

/// Per epoch 0..epochs−1: which workers (0, 1) are disturbed, replayed from the fault messages.
std::vector<std::vector<bool>> disturbed_by_epoch(injector_fixture& fx, std::uint64_t epochs) {
  std::vector<std::vector<bool>> out;
  std::vector<bool> now(2, false);
  std::size_t seen = 0;
  auto drain = [&] {
    for (; seen < fx.log->faults.size(); ++seen) {
      auto& [inc, kind, value, on] = fx.log->faults[seen];
      CATCH_CHECK(kind == "disturbance");
      if (on)
        CATCH_CHECK(value == 3.0);
      now[static_cast<std::size_t>(inc)] = on;
    }
  };
  drain();
  out.push_back(now);
  for (std::uint64_t e = 1; e < epochs; ++e) {
    caf::anon_send(fx.injector, epoch_atom::value, e);
    fx.h.settle();
    drain();
    out.push_back(now);
  }
  return out;
}

}  // namespace

CATCH_TEST_CASE("fault injector: a disturbance with probability 1 slows every worker each epoch",
                "[faults][injector]") {
  injector_fixture fx;
  fx.start({disturbance(1.0, 1)});
  fx.advance(0.1);
  auto trace = disturbed_by_epoch(fx, 4);
  for (auto& epoch : trace)
    CATCH_CHECK(epoch == std::vector<bool>{true, true});
  // One epoch each: ended and drawn again at every epoch end (2 workers × (1 + 3) starts).
  auto events = fx.h.w->events_of_type("fault");
  std::size_t starts = 0, ends = 0;
  for (auto& e : events) {
    CATCH_CHECK(e["kind"] == "disturbance");
    if (e["phase"] == "start") {
      ++starts;
      CATCH_CHECK(e["epochs"] == 1);
    } else {
      ++ends;
    }
  }
  CATCH_CHECK(starts == 8);
  CATCH_CHECK(ends == 6);
}

CATCH_TEST_CASE("fault injector: disturbances are seeded, last 1..max_epochs and hit about p",
                "[faults][injector]") {
  constexpr std::uint64_t epochs = 300;
  auto run = [](std::uint64_t seed) {
    injector_fixture fx;
    fx.start_seeded({disturbance(0.3, 3)}, seed);
    fx.advance(0.1);
    disturbed_by_epoch(fx, epochs);
    return fx.h.w->events_of_type("fault");
  };
  auto a = run(11), b = run(11), c = run(12);
  auto strip = [](std::vector<nlohmann::json> ev) {
    for (auto& e : ev)
      e.erase("t");
    return ev;
  };
  CATCH_CHECK(strip(a) == strip(b));  // same seed, same draws
  CATCH_CHECK(strip(a) != strip(c));
  // Every spell ends exactly its drawn 1..3 epochs after it started; a worker is drawn at every
  // epoch it is free (after the ends of that epoch), and hit with probability about 0.3.
  std::size_t starts = 0, draws = 0;
  for (int w = 0; w < 2; ++w) {
    std::int64_t started = -1, length = 0, next_free = 0;  // next_free: first epoch drawn again
    std::set<std::int64_t> start_epochs;
    for (auto& e : a) {
      if (e["worker"] != w)
        continue;
      if (e["phase"] == "start") {
        started = e["epoch"].get<std::int64_t>();
        length = e["epochs"].get<std::int64_t>();
        CATCH_CHECK((length >= 1 && length <= 3));
        start_epochs.insert(started);
        ++starts;
      } else {
        CATCH_CHECK(e["epoch"].get<std::int64_t>() == started + length);
      }
    }
    // Draws: every epoch on which the worker was not inside a spell that ends later.
    std::int64_t busy_until = 0;
    for (std::int64_t ep = 0; ep < static_cast<std::int64_t>(epochs); ++ep) {
      if (ep < busy_until)
        continue;
      ++draws;
      if (start_epochs.count(ep)) {
        for (auto& e : a)
          if (e["worker"] == w && e["phase"] == "start" && e["epoch"] == ep)
            busy_until = ep + e["epochs"].get<std::int64_t>();
      }
    }
    (void)next_free;
  }
  const double rate = static_cast<double>(starts) / static_cast<double>(draws);
  CATCH_INFO("disturbance starts per draw: " << rate << " (" << starts << "/" << draws << ")");
  CATCH_CHECK(rate > 0.22);
  CATCH_CHECK(rate < 0.38);
}
