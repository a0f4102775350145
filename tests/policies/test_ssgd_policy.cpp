// ssgd (bulk synchronous): a round closes when every live worker has one contribution on the
// current version; an optional deadline closes it with whoever arrived; membership changes can
// complete a round. All driven through the fake aggregator, which checks the apply/drop contract.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <set>

#include "fake_aggregator.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

const std::vector<worker_id> four = {0, 1, 2, 3};

ssgd_policy make_ssgd(double timeout_s = 0.0) {
  ssgd_options o;
  o.round_timeout_s = timeout_s;
  return ssgd_policy(o);
}

std::set<worker_id> applied_workers(const fake_aggregator& agg, const closed_round& r) {
  std::set<worker_id> out;
  for (auto& m : r.metas)
    out.insert(m.worker);
  return out;
}

}  // namespace

CATCH_TEST_CASE("ssgd: on_start releases all live workers and opens a round", "[policies][ssgd]") {
  auto p = make_ssgd();
  fake_aggregator agg(p, {3, 0, 2, 1});
  auto d = agg.start();
  CATCH_CHECK(sorted(d.release) == four);
  CATCH_CHECK_FALSE(d.close);
  CATCH_CHECK(d.drop.empty());
  CATCH_CHECK(d.restart.empty());
  CATCH_CHECK_FALSE(d.has_timer());
  for (auto w : four)
    CATCH_CHECK(agg.job_version(w) == 0);
  CATCH_CHECK(agg.violations().empty());
}

CATCH_TEST_CASE("ssgd: no close until every live worker arrived, then all applied once",
                "[policies][ssgd]") {
  auto p = make_ssgd();
  fake_aggregator agg(p, four);
  agg.start();
  std::vector<contribution_id> ids;
  for (worker_id w : {0u, 1u, 2u}) {
    auto d = agg.push(w, 8 + w);
    ids.push_back(agg.last_id());
    CATCH_CHECK(is_noop(d));
  }
  CATCH_CHECK(agg.version() == 0);
  CATCH_CHECK(agg.pending_ids() == ids);

  auto d = agg.push(3, 11);
  ids.push_back(agg.last_id());
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::all_arrived);
  CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
  CATCH_CHECK(ids_of(d.apply) == ids);
  for (auto& a : d.apply)
    CATCH_CHECK(a.weight == 1.0);
  CATCH_CHECK(d.drop.empty());
  CATCH_CHECK(sorted(d.release) == four);
  CATCH_CHECK(agg.version() == 1);
  for (auto w : four)
    CATCH_CHECK(agg.job_version(w) == 1);
  CATCH_CHECK(agg.pending_ids().empty());
  CATCH_CHECK(agg.violations().empty());

  CATCH_SECTION("and the next round works the same on the new version") {
    for (worker_id w : {3u, 1u, 0u})
      CATCH_CHECK_FALSE(agg.push(w).close);
    auto d2 = agg.push(2);
    CATCH_CHECK(d2.close);
    CATCH_CHECK(d2.apply.size() == 4);
    CATCH_CHECK(agg.version() == 2);
    for (auto& m : agg.rounds()[1].metas)
      CATCH_CHECK(m.version == 1);
    CATCH_CHECK(agg.contract_held());
  }
}

CATCH_TEST_CASE("ssgd: every arrival order of 4 workers gives the same applied set",
                "[policies][ssgd]") {
  std::array<worker_id, 4> order = {0, 1, 2, 3};
  std::size_t permutations = 0;
  do {
    auto p = make_ssgd();
    fake_aggregator agg(p, four);
    agg.start();
    // Two rounds each, so the second round also runs in this order on version 1.
    for (int round = 0; round < 2; ++round) {
      for (std::size_t i = 0; i < order.size(); ++i) {
        auto d = agg.push(order[i]);
        CATCH_CHECK(d.close == (i + 1 == order.size()));
      }
    }
    CATCH_REQUIRE(agg.rounds().size() == 2);
    for (auto& r : agg.rounds()) {
      CATCH_CHECK(applied_workers(agg, r) == std::set<worker_id>(four.begin(), four.end()));
      CATCH_CHECK(r.reason == close_reason::all_arrived);
    }
    CATCH_CHECK(agg.rounds()[1].from_version == 1);
    // Ids are assigned in arrival order; the close applies them all, whatever that order was.
    CATCH_CHECK(ids_of(agg.rounds()[0].apply) == std::vector<contribution_id>{1, 2, 3, 4});
    CATCH_CHECK(ids_of(agg.rounds()[1].apply) == std::vector<contribution_id>{5, 6, 7, 8});
    CATCH_CHECK(agg.contract_held());
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CATCH_CHECK(permutations == 24);
}

CATCH_TEST_CASE("ssgd: a duplicate push on the same version is dropped as late",
                "[policies][ssgd]") {
  auto p = make_ssgd();
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.push(0);
  const auto first = agg.last_id();
  auto d = agg.push(0);
  const auto dup = agg.last_id();
  CATCH_CHECK_FALSE(d.close);
  CATCH_REQUIRE(d.drop.size() == 1);
  CATCH_CHECK(d.drop[0].id == dup);
  CATCH_CHECK(d.drop[0].reason == drop_reason::late);
  CATCH_CHECK(agg.is_pending(first));
  auto c = agg.push(1);
  CATCH_REQUIRE(c.close);
  CATCH_CHECK(ids_of(c.apply) == std::vector<contribution_id>{first, agg.last_id()});
  CATCH_CHECK(agg.is_dropped(dup, drop_reason::late));
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssgd: round deadline", "[policies][ssgd][timeout]") {
  auto p = make_ssgd(5.0);
  fake_aggregator agg(p, four);
  auto s = agg.start();
  CATCH_REQUIRE(s.has_timer());
  CATCH_CHECK(s.wake_at_s == Approx(5.0));

  agg.set_time(1.0);
  agg.push(0);
  const auto id0 = agg.last_id();
  agg.set_time(2.0);
  agg.push(1);
  const auto id1 = agg.last_id();

  CATCH_SECTION("a timer before the deadline does nothing") {
    for (double t : {0.0, 2.5, 4.9, 4.999}) {
      auto d = agg.fire_timer_at(t);
      CATCH_CHECK(is_noop(d));
      CATCH_CHECK_FALSE(d.has_timer());
    }
    CATCH_CHECK(agg.version() == 0);
    CATCH_CHECK(agg.pending_ids().size() == 2);
  }

  CATCH_SECTION("at the deadline the round closes with whoever arrived") {
    auto d = agg.fire_timer_at(5.0);
    CATCH_REQUIRE(d.close);
    CATCH_CHECK(d.reason == close_reason::timeout);
    CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{id0, id1});
    CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1});
    CATCH_CHECK(d.drop.empty());
    // The next round gets its own deadline.
    CATCH_REQUIRE(d.has_timer());
    CATCH_CHECK(d.wake_at_s == Approx(10.0));
    CATCH_CHECK(agg.version() == 1);
    CATCH_CHECK(agg.job_version(2) == 0);
    CATCH_CHECK(agg.job_version(3) == 0);

    // Workers 2 and 3 were still computing on version 0: dropped as late, put on version 1.
    agg.set_time(6.0);
    auto late2 = agg.push(2);
    CATCH_CHECK_FALSE(late2.close);
    CATCH_REQUIRE(late2.drop.size() == 1);
    CATCH_CHECK(late2.drop[0].id == agg.last_id());
    CATCH_CHECK(late2.drop[0].reason == drop_reason::late);
    CATCH_CHECK(late2.release == std::vector<worker_id>{2});
    CATCH_CHECK(agg.job_version(2) == 1);

    // Round 1 closes normally once all four arrive on version 1.
    agg.push(0);
    agg.push(1);
    agg.push(2);
    CATCH_CHECK(agg.version() == 1);
    auto late3 = agg.push(3);  // still on version 0
    CATCH_CHECK(late3.drop.size() == 1);
    CATCH_CHECK(late3.release == std::vector<worker_id>{3});
    CATCH_CHECK(agg.version() == 1);
    auto all = agg.push(3);  // now on version 1
    CATCH_CHECK(all.close);
    CATCH_CHECK(all.reason == close_reason::all_arrived);
    CATCH_CHECK(all.apply.size() == 4);
    CATCH_CHECK(agg.dropped_count() == 2);
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("a timer firing late still closes") {
    auto d = agg.fire_timer_at(7.5);
    CATCH_CHECK(d.close);
    CATCH_CHECK(d.wake_at_s == Approx(12.5));
  }
}

CATCH_TEST_CASE("ssgd: a stale timer of a round that already closed does nothing",
                "[policies][ssgd][timeout]") {
  auto p = make_ssgd(5.0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.set_time(3.0);
  agg.push(0);
  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.wake_at_s == Approx(8.0));
  agg.set_time(4.0);
  agg.push(0);
  // The timer asked for at start (t = 5) fires: the current round opened at 3, deadline 8.
  auto stale = agg.fire_timer_at(5.0);
  CATCH_CHECK(is_noop(stale));
  CATCH_CHECK(agg.version() == 1);
  auto due = agg.fire_timer_at(8.0);
  CATCH_CHECK(due.close);
  CATCH_CHECK(due.apply.size() == 1);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssgd: a deadline with nobody arrived re-arms the timer", "[policies][ssgd]") {
  auto p = make_ssgd(2.0);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  auto d = agg.fire_timer_at(2.0);
  CATCH_CHECK_FALSE(d.close);
  CATCH_CHECK(d.apply.empty());
  CATCH_CHECK(d.release.empty());
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s > 2.0);
  CATCH_CHECK(d.wake_at_s == Approx(4.0));
  CATCH_CHECK(agg.version() == 0);
  // The fresh deadline counts: an arrival at 3 is closed by the timer at 4, not earlier.
  agg.set_time(3.0);
  agg.push(1);
  CATCH_CHECK(is_noop(agg.fire_timer_at(3.9)));
  auto c = agg.fire_timer_at(4.0);
  CATCH_CHECK(c.close);
  CATCH_CHECK(c.reason == close_reason::timeout);
  CATCH_CHECK(c.release == std::vector<worker_id>{1});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssgd: membership changes", "[policies][ssgd][membership]") {
  auto p = make_ssgd();
  fake_aggregator agg(p, four);
  agg.start();

  CATCH_SECTION("a worker leaving completes the round if everyone else arrived") {
    agg.push(0);
    agg.push(1);
    agg.push(2);
    auto d = agg.remove_workers({3});
    CATCH_REQUIRE(d.close);
    CATCH_CHECK(d.reason == close_reason::membership);
    CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{1, 2, 3});
    CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
    CATCH_CHECK(d.drop.empty());
    CATCH_CHECK(agg.version() == 1);
    // The next round needs only the three that are left.
    agg.push(0);
    agg.push(2);
    CATCH_CHECK(agg.push(1).close);
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("a departed worker's pending contribution is dropped as crashed") {
    agg.push(0);
    agg.push(1);
    agg.push(3);
    const auto id3 = agg.last_id();
    auto d = agg.remove_workers({3});
    CATCH_CHECK_FALSE(d.close);  // worker 2 is still missing
    CATCH_REQUIRE(d.drop.size() == 1);
    CATCH_CHECK(d.drop[0].id == id3);
    CATCH_CHECK(d.drop[0].reason == drop_reason::crashed);
    CATCH_CHECK(d.release.empty());
    auto c = agg.push(2);
    CATCH_REQUIRE(c.close);
    CATCH_CHECK(c.reason == close_reason::all_arrived);
    CATCH_CHECK(applied_workers(agg, agg.rounds()[0]) == std::set<worker_id>{0, 1, 2});
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("both at once: close with the rest, drop the departed one's work") {
    agg.push(0);
    agg.push(1);
    agg.push(3);
    const auto id3 = agg.last_id();
    auto d = agg.remove_workers({2, 3});
    CATCH_REQUIRE(d.close);
    CATCH_CHECK(d.reason == close_reason::membership);
    CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{1, 2});
    CATCH_REQUIRE(d.drop.size() == 1);
    CATCH_CHECK(d.drop[0].id == id3);
    CATCH_CHECK(d.drop[0].reason == drop_reason::crashed);
    CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1});
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("a leave with nothing pending changes nothing") {
    CATCH_CHECK(is_noop(agg.remove_workers({1})));
    CATCH_CHECK(agg.version() == 0);
  }

  CATCH_SECTION("a contribution from a worker that already left is dropped, not released") {
    agg.remove_workers({3});
    auto d = agg.push(3);
    CATCH_CHECK_FALSE(d.close);
    CATCH_CHECK(d.drop.size() == 1);
    CATCH_CHECK(d.release.empty());
    CATCH_CHECK(agg.pending_ids().empty());
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("a worker that joins is released and the round waits for it") {
    agg.push(0);
    agg.push(1);
    agg.push(2);
    auto j = agg.add_workers({4});
    CATCH_CHECK_FALSE(j.close);
    CATCH_CHECK(j.release == std::vector<worker_id>{4});
    CATCH_CHECK(agg.job_version(4) == 0);
    CATCH_CHECK_FALSE(agg.push(3).close);
    auto c = agg.push(4);
    CATCH_REQUIRE(c.close);
    CATCH_CHECK(c.apply.size() == 5);
    CATCH_CHECK(sorted(c.release) == std::vector<worker_id>{0, 1, 2, 3, 4});
    CATCH_CHECK(agg.contract_held());
  }

  CATCH_SECTION("a worker that leaves and rejoins is released again") {
    agg.push(0);
    agg.push(1);
    agg.push(2);
    CATCH_REQUIRE(agg.remove_workers({3}).close);  // round 0 closed without worker 3
    const auto before = agg.release_count(3);
    auto j = agg.add_workers({3});
    CATCH_CHECK(j.release == std::vector<worker_id>{3});
    CATCH_CHECK(agg.release_count(3) == before + 1);
    CATCH_CHECK(agg.job_version(3) == 1);
    agg.push(0);
    agg.push(1);
    agg.push(2);
    CATCH_CHECK(agg.push(3).close);
    CATCH_CHECK(agg.contract_held());
  }
}

CATCH_TEST_CASE("ssgd: with round_timeout_s = 0 no timer is ever requested",
                "[policies][ssgd][timeout]") {
  auto p = make_ssgd(0.0);
  fake_aggregator agg(p, four);
  agg.start();
  double t = 0.0;
  for (int round = 0; round < 3; ++round)
    for (auto w : four) {
      agg.set_time(t += 1.0);
      agg.push(w);
    }
  agg.push(0);
  CATCH_CHECK(is_noop(agg.fire_timer_at(1e6)));  // a spurious timer is ignored
  agg.remove_workers({1});
  agg.add_workers({1});
  agg.push(2);
  agg.push(3);
  agg.remove_workers({1});  // completes the round by membership
  CATCH_CHECK(agg.version() == 4);
  for (auto& d : agg.decisions())
    CATCH_CHECK_FALSE(d.has_timer());
  CATCH_CHECK(agg.timers_requested() == 0);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssgd: contract holds over a long scripted run with faults",
                "[policies][ssgd][contract]") {
  // A deterministic little event loop: 4 workers with different compute times, a 3 s deadline,
  // worker 3 pauses for a while (misses deadlines), worker 2 leaves and comes back.
  auto p = make_ssgd(3.0);
  fake_aggregator agg(p, four);
  agg.start();
  const double compute[] = {1.0, 1.3, 1.7, 2.2};
  std::map<worker_id, double> busy_until;  // when each released worker pushes next
  auto schedule_released = [&](const round_decision& d) {
    for (auto w : d.release)
      busy_until[w] =
        agg.now() + compute[w] + (w == 3 && agg.now() > 10 && agg.now() < 20 ? 6.0 : 0);
  };
  schedule_released(agg.decisions().back());
  double timer = agg.requested_timer();
  bool left = false, back = false;
  for (int step = 0; step < 400 && agg.now() < 60.0; ++step) {
    // Next event: earliest push, the timer, or a membership change at 25 s / 35 s.
    double next = 1e9;
    worker_id who = 0;
    for (auto& [w, t] : busy_until)
      if (t < next) {
        next = t;
        who = w;
      }
    const double due = timer >= 0 ? timer : 1e9;
    if (!left && 25.0 <= std::min(next, due)) {
      agg.set_time(25.0);
      left = true;
      busy_until.erase(2);
      auto d = agg.remove_workers({2});
      schedule_released(d);
      if (d.has_timer())
        timer = d.wake_at_s;
      continue;
    }
    if (left && !back && 35.0 <= std::min(next, due)) {
      agg.set_time(35.0);
      back = true;
      auto d = agg.add_workers({2});
      schedule_released(d);
      if (d.has_timer())
        timer = d.wake_at_s;
      continue;
    }
    round_decision d;
    if (timer >= 0 && timer <= next) {
      agg.set_time(timer);
      timer = -1;
      d = agg.fire_timer();
    } else {
      agg.set_time(next);
      busy_until.erase(who);
      d = agg.push(who);
    }
    schedule_released(d);
    if (d.has_timer())
      timer = d.wake_at_s;
  }
  CATCH_CHECK(left);
  CATCH_CHECK(back);
  CATCH_CHECK(agg.version() > 10);
  CATCH_INFO(agg.violations_text());
  CATCH_CHECK(agg.contract_held());
  // Bulk synchronous: every applied contribution was computed on the version it was applied to,
  // and no worker appears twice in a round.
  bool timeouts = false;
  for (auto& r : agg.rounds()) {
    std::set<worker_id> ws;
    for (auto& m : r.metas) {
      CATCH_CHECK(m.version == r.from_version);
      CATCH_CHECK(ws.insert(m.worker).second);
    }
    timeouts = timeouts || r.reason == close_reason::timeout;
  }
  CATCH_CHECK(timeouts);  // the pause really exercised the deadline
  // The rejoined worker got a job again: some round after 35 s applies its work, and once the
  // pause is over rounds close because everybody arrived, not by the deadline.
  bool rejoined_applied = false, all_after = false;
  for (auto& r : agg.rounds())
    if (r.at_s > 35.0) {
      for (auto& m : r.metas)
        rejoined_applied = rejoined_applied || m.worker == 2;
      all_after = all_after || (r.reason == close_reason::all_arrived && r.metas.size() == 4);
    }
  CATCH_CHECK(rejoined_applied);
  CATCH_CHECK(all_after);
  CATCH_CHECK(agg.dropped_count() > 0);
}

CATCH_TEST_CASE("ssgd: all-reduce transfer, unless a round timeout may close it on a subset",
                "[policies][ssgd]") {
  CATCH_CHECK(make_ssgd().traits().transfer == transfer_kind::all_reduce);
  CATCH_CHECK(make_ssgd(0.5).traits().transfer == transfer_kind::point_to_point);
}
