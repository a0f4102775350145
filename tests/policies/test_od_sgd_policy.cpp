// od_sgd (one-step delay SGD): the aggregator closes round v when every live worker pushed a
// contribution tagged v, holding pushes tagged v + 1 for the next round. The POLICIES.md
// invariants concern what delayed_local workers do with those decisions, so they are checked on
// a deterministic simulation of that mode (delayed_local_sim.hpp) on least squares against
// explicit recurrences; tagging, drops and membership directly through the fake aggregator.

#include <catch2/catch.hpp>

#include <algorithm>

#include "delayed_local_sim.hpp"
#include "fake_aggregator.hpp"
#include "least_squares.hpp"
#include "policies/od_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

od_sgd_policy make_od_sgd(std::uint64_t warmup, double local_lr = -1.0) {
  od_sgd_options o;
  o.warmup_rounds = warmup;
  o.local_lr = local_lr;
  return od_sgd_policy(o);
}

const vec w0 = {0.5, -0.25, 0.1};
constexpr double lr = 0.05;

/// Heterogeneous workers: different compute times and links.
const std::vector<delayed_worker_spec> mixed = {
  {1.0, 0.4, 0.3, 4}, {1.3, 0.1, 0.6, 3}, {2.1, 0.3, 0.2, 5}, {3.7, 0.2, 0.4, 4}};

}  // namespace

// ---- the policy on its own ------------------------------------------------------------------

CATCH_TEST_CASE("od_sgd: traits carry the worker mode, warm-up and local rate",
                "[policies][od_sgd]") {
  auto p = make_od_sgd(7, 0.01);
  CATCH_CHECK(p.traits().name == "od_sgd");
  CATCH_CHECK(p.traits().mode == worker_mode::delayed_local);
  CATCH_CHECK(p.traits().payload == payload_kind::gradient_sum);
  CATCH_CHECK(p.traits().transfer == transfer_kind::point_to_point);
  CATCH_CHECK(p.traits().warmup_rounds == 7);
  CATCH_CHECK(p.traits().local_lr == 0.01);
  od_sgd_policy d(od_sgd_options{});
  CATCH_CHECK(d.traits().warmup_rounds == 200);  // POLICIES.md default
  CATCH_CHECK(d.traits().local_lr < 0.0);        // η_l = η_g
}

CATCH_TEST_CASE("od_sgd: a round closes when all pushed for it, a push one ahead waits",
                "[policies][od_sgd]") {
  auto p = make_od_sgd(0);
  fake_aggregator agg(p, {0, 1});
  CATCH_CHECK(sorted(agg.start().release) == std::vector<worker_id>{0, 1});
  CATCH_CHECK(is_noop(agg.push_on(0, 0)));
  const auto a0 = agg.last_id();
  CATCH_CHECK(is_noop(agg.push_on(0, 1)));  // worker 0 is already one iteration ahead
  const auto ahead = agg.last_id();
  auto d = agg.push_on(1, 0);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::all_arrived);
  CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
  CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{a0, agg.last_id()});
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1});  // each answers push 0
  CATCH_CHECK(agg.is_pending(ahead));
  auto e = agg.push_on(1, 1);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(ids_of(e.apply) == std::vector<contribution_id>{ahead, agg.last_id()});
  for (auto& r : agg.rounds())
    for (auto& m : r.metas)
      CATCH_CHECK(m.version == r.from_version);  // never mixes tags
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("od_sgd: pushes behind are late, more than one ahead stale, all released",
                "[policies][od_sgd]") {
  auto p = make_od_sgd(0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  auto far = agg.push_on(0, 2);  // two ahead of version 0: breaks the delay bound
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::stale));
  CATCH_CHECK(far.release == std::vector<worker_id>{0});
  CATCH_CHECK_FALSE(far.close);
  agg.push_on(0, 0);
  agg.push_on(1, 0);
  CATCH_REQUIRE(agg.version() == 1);
  auto behind = agg.push_on(1, 0);  // its round is gone
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(behind.release == std::vector<worker_id>{1});
  agg.push_on(0, 1);
  const auto kept = agg.last_id();
  auto dup = agg.push_on(0, 1);  // a second push for the same round
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(dup.release == std::vector<worker_id>{0});
  auto ghost = agg.push_on(9, 1);  // not a member
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
  CATCH_CHECK(ghost.release.empty());
  auto d = agg.push_on(1, 1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{kept, agg.last_id()});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("od_sgd: a departed worker's pushes of every tag are dropped, a joiner released",
                "[policies][od_sgd][membership]") {
  auto p = make_od_sgd(0);
  fake_aggregator agg(p, {0, 1, 2, 3});
  agg.start();
  agg.push_on(0, 0);
  const auto gone0 = agg.last_id();
  agg.push_on(0, 1);
  const auto gone1 = agg.last_id();
  agg.push_on(1, 0);
  agg.push_on(2, 0);
  auto d = agg.remove_workers({0, 3});  // 3 never pushed: the round closes over 1 and 2
  CATCH_CHECK(agg.is_dropped(gone0, drop_reason::crashed));
  CATCH_CHECK(agg.is_dropped(gone1, drop_reason::crashed));
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::membership);
  CATCH_CHECK(d.apply.size() == 2);
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{1, 2});
  auto j = agg.add_workers({5});
  CATCH_CHECK(j.release == std::vector<worker_id>{5});
  CATCH_CHECK_FALSE(j.close);
  CATCH_CHECK(agg.job_version(5) == 1);
  agg.push_on(1, 1);
  CATCH_CHECK_FALSE(agg.push_on(2, 1).close);  // the joiner belongs to this round now
  CATCH_CHECK(agg.push_on(5, 1).close);
  CATCH_CHECK(agg.contract_held());
}

// ---- invariants, on the delayed_local simulation --------------------------------------------

CATCH_TEST_CASE("od_sgd: one worker with eta_l = eta_g is sequential SGD",
                "[policies][od_sgd][numeric]") {
  // w̃_{t+1} = W^t − η g_t/n_t is exactly the W^{t+1} the server is computing, so every gradient
  // is taken at the current global weights: x_{t+1} = x_t − η g(x_t)/n.
  for (std::uint64_t warmup : {0u, 3u}) {
    CATCH_INFO("warm-up " << warmup);
    auto p = make_od_sgd(warmup);
    delayed_local_cluster cl(p, make_shards(1, 24, 3), {{0.2, 0.3, 0.4, 4}}, w0, lr);
    cl.start();
    const version_t rounds = 30;
    cl.run_until_version(rounds);
    CATCH_REQUIRE(cl.agg().version() == rounds);
    vec x = w0;
    for (version_t t = 0; t < rounds; ++t) {
      auto batch = cl.batch_of(0, t);
      vec g = gradient_sum(batch, x);
      for (std::size_t k = 0; k < x.size(); ++k)
        x[k] -= lr * g[k] / double(batch.size());
      CATCH_CHECK(max_abs_diff(cl.weights_at(t + 1), x) <= 1e-12);
    }
    CATCH_CHECK(max_abs_diff(x, w0) > 1e-2);
    // It did overlap after the warm-up: compute (0.2 s) is shorter than the round trip.
    CATCH_CHECK(cl.overlapped_iterations() >= rounds - warmup - 1);
    CATCH_CHECK(cl.problems().empty());
    CATCH_CHECK(cl.agg().contract_held());
  }
  // The comparison tells runs apart: another local rate is not sequential SGD.
  auto p = make_od_sgd(0, 0.5 * lr);
  delayed_local_cluster cl(p, make_shards(1, 24, 3), {{0.2, 0.3, 0.4, 4}}, w0, lr);
  cl.start();
  cl.run_until_version(10);
  vec x = w0;
  for (version_t t = 0; t < 10; ++t) {
    auto batch = cl.batch_of(0, t);
    vec g = gradient_sum(batch, x);
    for (std::size_t k = 0; k < x.size(); ++k)
      x[k] -= lr * g[k] / double(batch.size());
  }
  CATCH_CHECK(max_abs_diff(cl.weights_at(10), x) > 1e-6);
}

CATCH_TEST_CASE("od_sgd: eta_l = 0 is SGD with gradients delayed by one step",
                "[policies][od_sgd][numeric]") {
  // With η_l = 0 a worker computes iteration t + 1 at W^t, so after the warm-up every round
  // applies gradients one version old: x_{t+1} = x_t − η Σ_i g_i(x_{t−1}) / Σ n_i for t > K, and
  // x_{t+1} = x_t − η Σ_i g_i(x_t) / Σ n_i for t <= K (warm-up, and iteration K starts from W^K).
  const std::uint64_t warmup = 2;
  auto p = make_od_sgd(warmup, 0.0);
  const std::vector<delayed_worker_spec> specs(mixed.begin(), mixed.begin() + 3);
  delayed_local_cluster cl(p, make_shards(3, 20, 3), specs, w0, lr);
  cl.start();
  const version_t rounds = 25;
  cl.run_until_version(rounds);
  CATCH_REQUIRE(cl.agg().version() == rounds);
  std::vector<vec> x = {w0};
  for (version_t t = 0; t < rounds; ++t) {
    const vec& at = t <= warmup ? x[t] : x[t - 1];
    vec sum(at.size(), 0.0);
    double n = 0.0;
    for (worker_id i = 0; i < 3; ++i) {
      auto batch = cl.batch_of(i, t);
      vec g = gradient_sum(batch, at);
      for (std::size_t k = 0; k < sum.size(); ++k)
        sum[k] += g[k];
      n += double(batch.size());
    }
    vec next = x[t];
    for (std::size_t k = 0; k < next.size(); ++k)
      next[k] -= lr * sum[k] / n;
    x.push_back(next);
    CATCH_CHECK(max_abs_diff(cl.weights_at(t + 1), next) <= 1e-12);
  }
  CATCH_CHECK(max_abs_diff(x.back(), w0) > 1e-2);
  CATCH_CHECK(cl.problems().empty());
  CATCH_CHECK(cl.agg().contract_held());
}

CATCH_TEST_CASE("od_sgd: workers are never more than one iteration apart", "[policies][od_sgd]") {
  // Heterogeneous speeds and links: the fast workers run ahead as far as the policy lets them.
  auto p = make_od_sgd(3);
  delayed_local_cluster cl(p, make_shards(4, 20, 3), mixed, w0, lr);
  cl.start();
  cl.run_until_version(40);
  CATCH_REQUIRE(cl.agg().version() == 40);
  CATCH_CHECK(cl.max_compute_gap() == 1);  // at most one apart, and the overlap does happen
  CATCH_CHECK(cl.ahead_arrivals() > 0);    // pushes tagged current + 1 reached the aggregator
  for (auto& [tag, version] : cl.arrivals())
    CATCH_CHECK((tag == version || tag == version + 1));
  CATCH_CHECK(cl.agg().dropped_count() == 0);
  for (auto& r : cl.agg().rounds()) {
    CATCH_CHECK(r.metas.size() == 4);
    for (auto& m : r.metas)
      CATCH_CHECK(m.version == r.from_version);
  }
  CATCH_CHECK(cl.problems().empty());
  CATCH_CHECK(cl.agg().contract_held());
}

CATCH_TEST_CASE("od_sgd: the warm-up equals ssgd exactly", "[policies][od_sgd][numeric]") {
  // The same batches through ssgd_policy with push-and-wait workers (least_squares_cluster).
  const std::uint64_t warmup = 5;
  const std::vector<delayed_worker_spec> specs(mixed.begin(), mixed.begin() + 3);
  auto shards = make_shards(3, 20, 3);
  auto p = make_od_sgd(warmup);
  delayed_local_cluster od(p, shards, specs, w0, lr);
  od.start();
  od.run_until_version(warmup + 2);
  CATCH_REQUIRE(od.agg().version() == warmup + 2);

  ssgd_policy sp(ssgd_options{});
  least_squares_cluster ss(sp, shards, w0, lr);
  ss.agg().start();
  for (version_t t = 0; t < warmup + 2; ++t)
    for (worker_id i = 0; i < 3; ++i)
      ss.push_batch(i, od.batch_of(i, t), ss.agg().job_version(i));
  CATCH_REQUIRE(ss.updates() == warmup + 2);
  for (version_t v = 0; v <= warmup; ++v)
    CATCH_CHECK(max_abs_diff(od.weights_at(v), ss.weights_at(v)) == 0.0);
  // No overlap during the warm-up: every push tagged t < K reached the server at version t.
  for (auto& [tag, version] : od.arrivals())
    if (tag < warmup)
      CATCH_CHECK(tag == version);
  // After it, the local step makes the runs part ways (the comparison can tell them apart).
  CATCH_CHECK(max_abs_diff(od.weights_at(warmup + 2), ss.weights_at(warmup + 2)) > 1e-9);
  CATCH_CHECK(od.problems().empty());
}
