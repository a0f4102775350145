// asgd (asynchronous parameter server): every arrival is its own round; an optional staleness
// bound drops staler contributions but still releases their workers.

#include <catch2/catch.hpp>

#include "fake_aggregator.hpp"
#include "policies/asgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

asgd_policy make_asgd(std::uint64_t max_staleness = 0) {
  asgd_options o;
  o.max_staleness = max_staleness;
  return asgd_policy(o);
}

}  // namespace

CATCH_TEST_CASE("asgd: on_start releases all live workers, no timer", "[policies][asgd]") {
  auto p = make_asgd();
  fake_aggregator agg(p, {2, 0, 1});
  auto d = agg.start();
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK_FALSE(d.close);
  CATCH_CHECK_FALSE(d.has_timer());
  CATCH_CHECK(agg.violations().empty());
}

CATCH_TEST_CASE("asgd: every arrival closes immediately with just that contribution",
                "[policies][asgd]") {
  auto p = make_asgd();
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  const worker_id order[] = {1, 0, 1, 2, 2, 0, 1};
  for (std::size_t i = 0; i < std::size(order); ++i) {
    const worker_id w = order[i];
    auto d = agg.push(w, 5 + i);
    CATCH_REQUIRE(d.close);
    CATCH_CHECK(d.reason == close_reason::immediate);
    CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
    CATCH_REQUIRE(d.apply.size() == 1);
    CATCH_CHECK(d.apply[0].id == agg.last_id());
    CATCH_CHECK(d.apply[0].weight == 1.0);
    CATCH_CHECK(d.drop.empty());
    CATCH_CHECK(d.release == std::vector<worker_id>{w});
    CATCH_CHECK(d.restart.empty());
    CATCH_CHECK_FALSE(d.has_timer());
    CATCH_CHECK(agg.version() == i + 1);
    CATCH_CHECK(agg.job_version(w) == i + 1);  // pulled the version its own update produced
  }
  CATCH_CHECK(agg.pending_ids().empty());
  CATCH_CHECK(agg.contract_held());
  // Timers and membership changes never close anything.
  CATCH_CHECK(is_noop(agg.fire_timer_at(100.0)));
}

CATCH_TEST_CASE("asgd: staleness is unbounded by default", "[policies][asgd]") {
  auto p = make_asgd(0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  for (int i = 0; i < 100; ++i)
    agg.push(0);
  CATCH_REQUIRE(agg.version() == 100);
  auto d = agg.push(1);  // computed on version 0: staleness 100
  CATCH_CHECK(d.close);
  CATCH_CHECK(agg.is_applied(agg.last_id()));
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("asgd: max_staleness drops staler contributions but releases the worker",
                "[policies][asgd]") {
  auto p = make_asgd(2);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  // Advance to version 5 with worker 0.
  for (int i = 0; i < 5; ++i)
    agg.push(0);
  CATCH_REQUIRE(agg.version() == 5);

  CATCH_SECTION("staleness 3 > 2: dropped as stale, worker released onto version 5") {
    auto d = agg.push_on(1, 2);
    CATCH_CHECK_FALSE(d.close);
    CATCH_CHECK(d.apply.empty());
    CATCH_REQUIRE(d.drop.size() == 1);
    CATCH_CHECK(d.drop[0].id == agg.last_id());
    CATCH_CHECK(d.drop[0].reason == drop_reason::stale);
    CATCH_CHECK(d.release == std::vector<worker_id>{1});
    CATCH_CHECK(agg.version() == 5);
    CATCH_CHECK(agg.job_version(1) == 5);
    // Its next push, on version 5, is applied.
    CATCH_CHECK(agg.push(1).close);
  }
  CATCH_SECTION("staleness exactly at the bound is applied") {
    auto d = agg.push_on(1, 3);
    CATCH_CHECK(d.close);
    CATCH_CHECK(d.apply.size() == 1);
    CATCH_CHECK(d.release == std::vector<worker_id>{1});
    CATCH_CHECK(agg.version() == 6);
  }
  CATCH_SECTION("staleness 1 and 0 are applied") {
    CATCH_CHECK(agg.push_on(1, 4).close);  // at version 5: staleness 1
    CATCH_CHECK(agg.push_on(1, 6).close);  // at version 6: staleness 0
  }
  CATCH_SECTION("the bound is measured at arrival, against the current version") {
    // Version 0 was released to worker 1 at start: staleness 5 now.
    auto d = agg.push(1);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::stale));
    CATCH_CHECK(d.release == std::vector<worker_id>{1});
  }
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("asgd: contributions from non-members are dropped as crashed",
                "[policies][asgd][membership]") {
  auto p = make_asgd();
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  CATCH_CHECK(is_noop(agg.remove_workers({2})));
  auto d = agg.push(2);
  CATCH_CHECK_FALSE(d.close);
  CATCH_REQUIRE(d.drop.size() == 1);
  CATCH_CHECK(d.drop[0].reason == drop_reason::crashed);
  CATCH_CHECK(d.release.empty());  // it is gone: nobody to release
  CATCH_CHECK(agg.version() == 0);
  // A worker that was never a member, too.
  auto x = agg.push_on(42, 0);
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
  CATCH_CHECK(x.release.empty());
  // The rest keep going.
  CATCH_CHECK(agg.push(0).close);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("asgd: a worker that joins is released", "[policies][asgd][membership]") {
  auto p = make_asgd();
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.push(0);
  auto j = agg.add_workers({5});
  CATCH_CHECK_FALSE(j.close);
  CATCH_CHECK(j.release == std::vector<worker_id>{5});
  CATCH_CHECK(agg.job_version(5) == 1);
  CATCH_CHECK(agg.push(5).close);

  // Leave and rejoin: released again.
  agg.remove_workers({1});
  auto r = agg.add_workers({1});
  CATCH_CHECK(r.release == std::vector<worker_id>{1});
  CATCH_CHECK(agg.contract_held());
}
