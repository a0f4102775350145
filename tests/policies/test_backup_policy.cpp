// backup (K of N backup workers): a round closes with the first K contributions on the current
// version; the other live workers restart onto the new version; older contributions are dropped
// as stale, never applied.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "fake_aggregator.hpp"
#include "least_squares.hpp"
#include "policies/backup_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

backup_policy make_backup(std::uint64_t k) {
  backup_options o;
  o.k = k;
  return backup_policy(o);
}

/// Every closed round: exactly `k` contributions, from distinct workers, all on the version
/// the round was applied to.
void check_rounds(const fake_aggregator& agg, std::size_t k) {
  for (auto& r : agg.rounds()) {
    CATCH_CHECK(r.apply.size() == k);
    std::set<worker_id> ws;
    for (auto& m : r.metas) {
      ws.insert(m.worker);
      CATCH_CHECK(m.version == r.from_version);
    }
    CATCH_CHECK(ws.size() == r.metas.size());
    CATCH_CHECK((r.reason == close_reason::k_arrived || r.reason == close_reason::membership));
  }
}

}  // namespace

CATCH_TEST_CASE("backup: K defaults to live - 1, clamped to [1, live]", "[policies][backup]") {
  auto d = make_backup(0);
  CATCH_CHECK(d.k_for(4) == 3);
  CATCH_CHECK(d.k_for(2) == 1);
  CATCH_CHECK(d.k_for(1) == 1);
  auto big = make_backup(9);
  CATCH_CHECK(big.k_for(4) == 4);
  CATCH_CHECK(big.k_for(3) == 3);
  auto two = make_backup(2);
  CATCH_CHECK(two.k_for(4) == 2);
  CATCH_CHECK(two.k_for(1) == 1);
  CATCH_CHECK(two.traits().name == "backup");
  CATCH_CHECK(two.traits().transfer == transfer_kind::point_to_point);
}

CATCH_TEST_CASE("backup: closes on the first K, restarts the others", "[policies][backup]") {
  auto p = make_backup(0);  // K = 3 of 4
  fake_aggregator agg(p, {0, 1, 2, 3});
  auto s = agg.start();
  CATCH_CHECK(sorted(s.release) == std::vector<worker_id>{0, 1, 2, 3});
  CATCH_CHECK(is_noop(agg.push(2)));
  CATCH_CHECK(is_noop(agg.push(0)));
  auto d = agg.push(1, 16);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::k_arrived);
  CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
  CATCH_CHECK(d.apply.size() == 3);
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(d.restart == std::vector<worker_id>{3});
  CATCH_CHECK(d.drop.empty());
  CATCH_CHECK(agg.version() == 1);
  CATCH_CHECK(agg.job_version(3) == 1);  // restarted onto the new version

  CATCH_SECTION("a contribution that crossed the restart is dropped as stale, never applied") {
    auto late = agg.push_on(3, 0);
    CATCH_CHECK_FALSE(late.close);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::stale));
    CATCH_CHECK(late.release == std::vector<worker_id>{3});
    CATCH_CHECK(late.restart.empty());
    CATCH_CHECK(agg.version() == 1);
  }
  CATCH_SECTION("the restarted worker's next push on the new version counts") {
    agg.push(3);
    agg.push(0);
    auto e = agg.push(2);
    CATCH_CHECK(e.close);
    CATCH_CHECK(e.restart == std::vector<worker_id>{1});
  }
  check_rounds(agg, 3);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("backup: a duplicate push on the same version is dropped as late",
                "[policies][backup]") {
  auto p = make_backup(3);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.push(0);
  auto d = agg.push(0);
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK_FALSE(d.close);
  CATCH_CHECK(d.release.empty());
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("backup: with K = N it behaves like ssgd", "[policies][backup]") {
  auto bp = make_backup(4);
  ssgd_policy sp(ssgd_options{});
  fake_aggregator a(bp, {0, 1, 2, 3});
  fake_aggregator b(sp, {0, 1, 2, 3});
  CATCH_CHECK(sorted(a.start().release) == sorted(b.start().release));
  std::vector<worker_id> order = {1, 3, 0, 2};
  for (int round = 0; round < 6; ++round) {
    for (auto w : order) {
      auto x = a.push(w);
      auto y = b.push(w);
      CATCH_CHECK(x.close == y.close);
      CATCH_CHECK(ids_of(x.apply) == ids_of(y.apply));
      CATCH_CHECK(sorted(x.release) == sorted(y.release));
      CATCH_CHECK(x.restart.empty());
      CATCH_CHECK(x.drop.empty());
    }
    std::next_permutation(order.begin(), order.end());
  }
  CATCH_CHECK(a.version() == 6);
  check_rounds(a, 4);
  CATCH_CHECK(a.contract_held());
}

CATCH_TEST_CASE("backup: invariants over a long run with stragglers and crossing pushes",
                "[policies][backup]") {
  for (std::uint64_t k : {1, 2, 3}) {
    CATCH_INFO("K = " << k);
    auto p = make_backup(k);
    fake_aggregator agg(p, {0, 1, 2, 3});
    agg.start();
    // Each step, a worker pushes on the version of its job, and sometimes on an older one (a push
    // that crossed a restart).
    const worker_id pattern[] = {0, 1, 0, 2, 1, 0, 3, 1, 0, 2};
    std::size_t stale = 0;
    for (int i = 0; i < 300; ++i) {
      const worker_id w = pattern[i % 10];
      if (i % 7 == 3 && agg.version() > 0) {
        agg.push_on(w, agg.version() - 1);
        CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::stale));
        ++stale;
      } else {
        agg.push(w);
      }
    }
    CATCH_CHECK(stale > 10);
    CATCH_CHECK(agg.rounds().size() > 20);
    check_rounds(agg, k);
    // A dropped contribution is never applied; every applied one was on its round's version.
    for (auto& dec : agg.decisions())
      for (auto& dr : dec.drop)
        CATCH_CHECK_FALSE(agg.is_applied(dr.id));
    // Restarted workers are exactly the live non-contributors of each close.
    for (auto& dec : agg.decisions())
      if (dec.close) {
        CATCH_CHECK(dec.apply.size() + dec.restart.size() == 4);
        for (auto w : dec.restart)
          CATCH_CHECK(std::find(dec.release.begin(), dec.release.end(), w) == dec.release.end());
      }
    CATCH_CHECK(agg.contract_held());
  }
}

CATCH_TEST_CASE("backup: membership changes", "[policies][backup][membership]") {
  auto p = make_backup(0);  // K = live - 1
  fake_aggregator agg(p, {0, 1, 2, 3});
  agg.start();
  agg.push(0);
  agg.push(1);

  CATCH_SECTION("a departed worker's pending push is dropped as crashed, K shrinks and closes") {
    auto d = agg.remove_workers({1});  // live 3, K = 2: only worker 0 pending
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
    CATCH_CHECK_FALSE(d.close);
    auto e = agg.remove_workers({3});  // live 2, K = 1: worker 0 closes the round
    CATCH_REQUIRE(e.close);
    CATCH_CHECK(e.reason == close_reason::membership);
    CATCH_CHECK(e.release == std::vector<worker_id>{0});
    CATCH_CHECK(e.restart == std::vector<worker_id>{2});
  }
  CATCH_SECTION("a joiner is released, not restarted") {
    auto d = agg.add_workers({9});  // live 5, K = 4
    CATCH_CHECK_FALSE(d.close);
    CATCH_CHECK(d.release == std::vector<worker_id>{9});
    CATCH_CHECK(d.restart.empty());
    agg.push(2);
    auto e = agg.push(9);
    CATCH_REQUIRE(e.close);
    CATCH_CHECK(e.restart == std::vector<worker_id>{3});
  }
  CATCH_SECTION("a contribution from a non-member is dropped as crashed") {
    auto d = agg.push_on(42, 0);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
    CATCH_CHECK(d.release.empty());
  }
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("backup with K = N equals full-batch GD on the union",
                "[policies][backup][numeric]") {
  constexpr std::size_t workers = 4;
  auto shards = make_shards(workers, 8, 3);
  std::vector<sample> all;
  for (auto& s : shards)
    all.insert(all.end(), s.begin(), s.end());
  const vec w0 = {0.5, -0.25, 0.1};
  const double lr = 0.05;
  auto p = make_backup(workers);
  least_squares_cluster cluster(p, shards, w0, lr);
  cluster.agg().start();
  vec ref = w0;
  std::vector<worker_id> order = {2, 0, 3, 1};
  for (int r = 0; r < 6; ++r) {
    for (auto w : order)
      cluster.push_shard(w);
    std::next_permutation(order.begin(), order.end());
    vec g = gradient_sum(all, ref);
    for (std::size_t k = 0; k < ref.size(); ++k)
      ref[k] -= lr * g[k] / double(all.size());
    CATCH_REQUIRE(cluster.updates() == std::size_t(r + 1));
    CATCH_CHECK(max_abs_diff(cluster.weights(), ref) <= 1e-12);
  }
  CATCH_CHECK(max_abs_diff(cluster.weights(), w0) > 1e-2);
  CATCH_CHECK(cluster.agg().contract_held());
}

CATCH_TEST_CASE("backup: a late contribution never reaches the weights",
                "[policies][backup][numeric]") {
  auto shards = make_shards(3, 8, 3);
  const vec w0 = {0.5, -0.25, 0.1};
  auto p = make_backup(2);
  least_squares_cluster cluster(p, shards, w0, 0.05);
  cluster.agg().start();
  cluster.push_shard(0);
  cluster.push_shard(1);  // closes version 0 -> 1 with shards 0 and 1; worker 2 restarted
  const vec after = cluster.weights();
  // Worker 2's push computed on version 0 crossed its restart.
  cluster.push_batch(2, cluster.shard(2), 0);
  CATCH_CHECK(cluster.agg().is_dropped(cluster.agg().last_id(), drop_reason::stale));
  CATCH_CHECK(cluster.weights() == after);
  CATCH_CHECK(cluster.updates() == 1);
}
