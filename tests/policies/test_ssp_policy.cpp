// ssp (stale synchronous parallel): every arrival is applied at once, but a worker more than s
// clocks ahead of the slowest live worker is held until the slowest catches up.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "fake_aggregator.hpp"
#include "least_squares.hpp"
#include "policies/ssgd_policy.hpp"
#include "policies/ssp_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

ssp_policy make_ssp(std::uint64_t s) {
  ssp_options o;
  o.staleness = s;
  return ssp_policy(o);
}

/// Tracks each worker's clock from the outside (applied + dropped contributions) and checks, on
/// every release, that the released worker is at most s clocks ahead of the slowest live worker.
struct clock_checker {
  std::uint64_t s;
  std::map<worker_id, std::uint64_t> clock;
  std::size_t violations = 0;
  std::size_t releases = 0;

  void resolved(worker_id w) { ++clock[w]; }
  void joined(worker_id w, std::uint64_t at) { clock[w] = at; }
  void left(worker_id w) { clock.erase(w); }
  std::uint64_t min() const {
    std::uint64_t m = ~std::uint64_t{0};
    for (auto& [w, c] : clock)
      m = std::min(m, c);
    return m;
  }
  void check(const round_decision& d, const fake_aggregator& agg) {
    for (auto& a : d.apply)
      resolved(agg.meta(a.id).worker);
    for (auto& dr : d.drop)
      if (clock.count(agg.meta(dr.id).worker) != 0)
        resolved(agg.meta(dr.id).worker);
    for (auto w : d.release) {
      ++releases;
      if (clock.at(w) - min() > s)
        ++violations;
    }
  }
};

}  // namespace

CATCH_TEST_CASE("ssp: on_start releases all live workers, no timer", "[policies][ssp]") {
  auto p = make_ssp(3);
  fake_aggregator agg(p, {2, 0, 1});
  auto d = agg.start();
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK_FALSE(d.close);
  CATCH_CHECK_FALSE(d.has_timer());
  CATCH_CHECK(p.traits().name == "ssp");
  CATCH_CHECK(p.traits().transfer == transfer_kind::point_to_point);
  CATCH_CHECK(p.traits().mode == worker_mode::push_and_wait);
  CATCH_CHECK(agg.violations().empty());
}

CATCH_TEST_CASE("ssp: every arrival is applied at once as its own round", "[policies][ssp]") {
  auto p = make_ssp(1);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  auto d = agg.push(0, 5);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::immediate);
  CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
  CATCH_REQUIRE(d.apply.size() == 1);
  CATCH_CHECK(d.apply[0].id == agg.last_id());
  CATCH_CHECK(d.apply[0].weight == 1.0);
  CATCH_CHECK(d.release == std::vector<worker_id>{0});  // 1 ahead of worker 1: within s = 1
  CATCH_CHECK(p.clock(0) == 1);
  CATCH_CHECK(agg.version() == 1);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssp: a worker more than s ahead is held until the slowest catches up",
                "[policies][ssp]") {
  auto p = make_ssp(2);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  // Worker 0 runs ahead: clocks 1 and 2 are within s = 2 of the slowest (0), clock 3 is not.
  CATCH_CHECK(agg.push(0).release == std::vector<worker_id>{0});
  CATCH_CHECK(agg.push(0).release == std::vector<worker_id>{0});
  auto held = agg.push(0);
  CATCH_CHECK(held.close);  // still applied at once
  CATCH_CHECK(held.release.empty());
  CATCH_CHECK(p.held() == std::vector<worker_id>{0});
  CATCH_CHECK(agg.version() == 3);
  // Worker 1 arrives: the minimum is still 0 (worker 2), worker 0 stays held.
  auto d1 = agg.push(1);
  CATCH_CHECK(d1.release == std::vector<worker_id>{1});
  CATCH_CHECK(p.held() == std::vector<worker_id>{0});
  // The slowest, worker 2, arrives: the minimum becomes 1, worker 0 (clock 3) is within 2 again.
  auto d2 = agg.push(2);
  CATCH_CHECK(d2.close);
  CATCH_CHECK(sorted(d2.release) == std::vector<worker_id>{0, 2});
  CATCH_CHECK(p.held().empty());
  CATCH_CHECK(agg.job_version(0) == 5);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssp: s = 0 releases in the same groups as ssgd rounds", "[policies][ssp]") {
  auto sp = make_ssp(0);
  ssgd_policy bp(ssgd_options{});
  fake_aggregator ssp_agg(sp, {0, 1, 2, 3});
  fake_aggregator ssgd_agg(bp, {0, 1, 2, 3});
  CATCH_CHECK(sorted(ssp_agg.start().release) == sorted(ssgd_agg.start().release));
  std::vector<worker_id> order = {2, 0, 3, 1};
  for (int round = 0; round < 8; ++round) {
    for (auto w : order) {
      auto a = ssp_agg.push(w);
      auto b = ssgd_agg.push(w);
      CATCH_INFO("round " << round << " worker " << w);
      CATCH_CHECK(sorted(a.release) == sorted(b.release));
      CATCH_CHECK(a.close);  // ssp still applies each arrival at once
    }
    // After each group every worker computed exactly round + 1 contributions.
    for (worker_id w = 0; w < 4; ++w)
      CATCH_CHECK(sp.clock(w) == std::uint64_t(round + 1));
    std::next_permutation(order.begin(), order.end());
  }
  CATCH_CHECK(ssp_agg.version() == 32);
  CATCH_CHECK(ssgd_agg.version() == 8);
  CATCH_CHECK(ssp_agg.contract_held());
}

CATCH_TEST_CASE("ssp: bound holds and every held worker is released, over a long random run",
                "[policies][ssp]") {
  for (std::uint64_t s : {0, 1, 3}) {
    CATCH_INFO("s = " << s);
    auto p = make_ssp(s);
    fake_aggregator agg(p, {0, 1, 2, 3});
    clock_checker cc{s, {}, 0, 0};
    for (worker_id w = 0; w < 4; ++w)
      cc.joined(w, 0);
    auto d0 = agg.start();
    cc.check(d0, agg);
    // Workers that hold a job (released, not yet pushed). Speeds 1, 1, 2, 5 ticks per job.
    std::map<worker_id, int> busy_until;
    const int cost[] = {1, 1, 2, 5};
    for (auto w : d0.release)
      busy_until[w] = cost[w];
    for (int tick = 1; tick <= 400; ++tick) {
      for (worker_id w = 0; w < 4; ++w) {
        auto it = busy_until.find(w);
        if (it == busy_until.end() || it->second != tick)
          continue;
        busy_until.erase(it);
        auto d = agg.push(w);
        cc.check(d, agg);
        for (auto r : d.release)
          busy_until[r] = tick + cost[r];
      }
    }
    CATCH_CHECK(cc.violations == 0);
    CATCH_CHECK(cc.releases > 100);
    // Nobody is stuck: every worker either computes or is held behind a computing slower one.
    CATCH_CHECK(busy_until.count(3) == 1);
    for (auto w : p.held())
      CATCH_CHECK(busy_until.count(w) == 0);
    // The bound: the fast ones did at most s + 1 more contributions than the slowest.
    CATCH_CHECK(p.clock(0) <= p.clock(3) + s + 1);
    CATCH_CHECK(agg.contract_held());
    CATCH_CHECK(agg.pending_ids().empty());
  }
}

CATCH_TEST_CASE("ssp: membership changes", "[policies][ssp][membership]") {
  auto p = make_ssp(1);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.push(0);
  auto h = agg.push(0);  // clock 2, slowest 0: held
  CATCH_CHECK(h.release.empty());
  CATCH_CHECK(p.held() == std::vector<worker_id>{0});

  CATCH_SECTION("the slowest leaving releases the held worker when the new minimum allows") {
    agg.push(1);  // worker 1 at clock 1; worker 2 still at 0
    CATCH_CHECK(p.held() == std::vector<worker_id>{0});
    auto d = agg.remove_workers({2});
    CATCH_CHECK(d.release == std::vector<worker_id>{0});
    CATCH_CHECK_FALSE(d.close);
    CATCH_CHECK(p.held().empty());
  }
  CATCH_SECTION("a contribution from a departed worker is dropped as crashed") {
    agg.remove_workers({2});
    auto d = agg.push(2);
    CATCH_CHECK_FALSE(d.close);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
    CATCH_CHECK(d.release.empty());
  }
  CATCH_SECTION("a joiner starts at the slowest clock and is released at once") {
    auto d = agg.add_workers({7});
    CATCH_CHECK(d.release == std::vector<worker_id>{7});
    CATCH_CHECK(p.clock(7) == 0);
    CATCH_CHECK(p.held() == std::vector<worker_id>{0});  // the joiner does not unblock anybody
    agg.push(1);
    agg.push(2);
    auto j = agg.push(7);  // now everybody but 0 is at 1: worker 0 (clock 2) is within 1
    CATCH_CHECK(sorted(j.release) == std::vector<worker_id>{0, 7});
  }
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssp with one worker equals sequential SGD", "[policies][ssp][numeric]") {
  auto shards = make_shards(1, 6, 3);
  const vec w0 = {0.5, -0.25, 0.1};
  const double lr = 0.05;
  auto p = make_ssp(0);
  least_squares_cluster cluster(p, shards, w0, lr);
  cluster.agg().start();
  vec ref = w0;
  for (int step = 0; step < 20; ++step) {
    // One sample at a time, cycling through the shard.
    std::vector<sample> batch{shards[0][std::size_t(step) % shards[0].size()]};
    auto d = cluster.push_batch(0, batch, cluster.agg().job_version(0));
    CATCH_REQUIRE(d.release == std::vector<worker_id>{0});  // alone: never held
    vec g = gradient_sum(batch, ref);
    for (std::size_t k = 0; k < ref.size(); ++k)
      ref[k] -= lr * g[k];
    CATCH_CHECK(max_abs_diff(cluster.weights(), ref) <= 1e-15);
  }
  CATCH_CHECK(max_abs_diff(cluster.weights(), w0) > 1e-2);
  CATCH_CHECK(cluster.agg().contract_held());
}
