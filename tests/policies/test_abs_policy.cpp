// abs (adaptive bounded staleness): a round closes on K^t uploads (model deltas) from distinct
// workers, x ← x + (η_g / K^t) ΣΔ; contributors are released onto the new model, workers whose
// job fell more than τ_max^t behind are restarted, uploads of replaced jobs are dropped. The
// rules are checked one by one through the fake aggregator, and all POLICIES.md invariants at
// once on a heterogeneous local-steps simulation (local_steps_sim.hpp) with a falling loss.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

#include "fake_aggregator.hpp"
#include "least_squares.hpp"
#include "local_steps_sim.hpp"
#include "policies/abs_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

abs_options make_options(std::size_t workers, std::size_t k0, std::size_t every = 10,
                         std::uint64_t steps = 4, double global_lr = 1.0) {
  abs_options o;
  o.workers = workers;
  o.k0 = k0;
  o.every_rounds = every;
  o.local_steps = steps;
  o.global_lr = global_lr;
  return o;
}

/// Forwards everything to an abs_policy but feeds on_round_applied the loss of the new version
/// from `loss` (the fake aggregator reports NaN, which the K schedule ignores).
class loss_feeding_policy final : public round_policy {
 public:
  loss_feeding_policy(abs_policy& inner, std::function<double(version_t)> loss)
      : inner_(inner), loss_(std::move(loss)) {}
  const policy_traits& traits() const override { return inner_.traits(); }
  round_decision on_start(const policy_context& ctx) override { return inner_.on_start(ctx); }
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override {
    return inner_.on_arrival(c, ctx);
  }
  round_decision on_timer(const policy_context& ctx) override { return inner_.on_timer(ctx); }
  round_decision on_membership_change(const policy_context& ctx) override {
    return inner_.on_membership_change(ctx);
  }
  void on_round_applied(const policy_context& ctx, double) override {
    inner_.on_round_applied(ctx, loss_(ctx.version));
  }

 private:
  abs_policy& inner_;
  std::function<double(version_t)> loss_;
};

double annotation(const round_decision& d, const std::string& name) {
  for (auto& [n, v] : d.annotations)
    if (n == name)
      return v;
  return std::numeric_limits<double>::quiet_NaN();
}

bool contains(const std::vector<worker_id>& v, worker_id w) {
  return std::find(v.begin(), v.end(), w) != v.end();
}

std::size_t ceil_div(std::size_t a, std::size_t b) {
  return (a + b - 1) / b;
}

const vec w0 = {0.5, -0.25, 0.1};

}  // namespace

// ---- configuration --------------------------------------------------------------------------

CATCH_TEST_CASE("abs: traits and constructor errors", "[policies][abs]") {
  abs_policy p(make_options(4, 2, 10, 3));
  CATCH_CHECK(p.traits().name == "abs");
  CATCH_CHECK(p.traits().payload == payload_kind::model_delta);
  CATCH_CHECK(p.traits().transfer == transfer_kind::point_to_point);
  CATCH_CHECK(p.traits().mode == worker_mode::local_steps);
  CATCH_CHECK(p.traits().local_steps == 3);
  CATCH_CHECK(p.schedule().k() == 2);

  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 0)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 5)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(0, 1)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 2, 0)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 2, 10, 0)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 2, 10, 4, 0.0)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(abs_policy(make_options(4, 2, 10, 4, -1.0)), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(
    abs_policy(make_options(4, 2, 10, 4, std::numeric_limits<double>::quiet_NaN())),
    std::invalid_argument);
  CATCH_CHECK_NOTHROW(abs_policy(make_options(4, 4, 1, 1, 0.5)));
}

// ---- the rules, one by one ------------------------------------------------------------------

CATCH_TEST_CASE("abs: K distinct uploads close a round, the too-stale others restart",
                "[policies][abs]") {
  abs_policy p(make_options(4, 2, 100, 4, 0.8));  // K = 2, τ_max = ⌈4 / 2⌉ = 2
  fake_aggregator agg(p, {0, 1, 2, 3});
  CATCH_CHECK(sorted(agg.start().release) == std::vector<worker_id>{0, 1, 2, 3});
  CATCH_CHECK(is_noop(agg.push(0)));
  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::k_arrived);
  CATCH_CHECK(d.combine == combine_rule::delta_sum);
  CATCH_REQUIRE(d.apply.size() == 2);
  for (auto& a : d.apply)
    CATCH_CHECK(a.weight == Approx(0.8 / 2));  // η_g / K
  CATCH_CHECK(annotation(d, "k") == 2.0);
  CATCH_CHECK(annotation(d, "tau_max") == 2.0);
  // Contributors go on to x^{t+1}; the others are 1 version behind: within τ_max.
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1});
  CATCH_CHECK(agg.job_version(0) == 1);
  CATCH_CHECK(agg.job_version(1) == 1);
  CATCH_CHECK(d.restart.empty());

  agg.push(0);
  CATCH_CHECK(agg.push(1).restart.empty());  // 2 behind: still within τ_max
  agg.push(0);
  auto e = agg.push(1);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(sorted(e.restart) == std::vector<worker_id>{2, 3});  // 3 behind > τ_max
  CATCH_CHECK(agg.job_version(2) == 3);
  CATCH_CHECK(agg.job_version(3) == 3);

  // A second upload from a worker already in the round does not count twice.
  agg.push(0);
  const auto first = agg.last_id();
  auto dup = agg.push_on(0, 3);
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(dup.release == std::vector<worker_id>{0});
  CATCH_CHECK_FALSE(dup.close);
  auto f = agg.push(2);
  CATCH_REQUIRE(f.close);
  CATCH_CHECK(ids_of(f.apply) == std::vector<contribution_id>{first, agg.last_id()});
  auto ghost = agg.push_on(9, 4);
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
  CATCH_CHECK(ghost.release.empty());
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs: an upload of a replaced job is dropped as restarted, the next one counts",
                "[policies][abs]") {
  // Worker 2's upload on version 0 crossed the restart that put it on version 3. The worker
  // ignores a release that brings nothing newer than its job and takes one that does; either
  // way its next upload is on the version of the last job it was given and must count.
  abs_policy p(make_options(3, 2, 100, 4));  // K = 2, τ_max = 2
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  for (int r = 0; r < 3; ++r) {
    agg.push(0);
    agg.push(1);
  }
  CATCH_REQUIRE(agg.version() == 3);
  CATCH_REQUIRE(agg.job_version(2) == 3);  // restarted at the third close

  CATCH_SECTION("crossing arrives before another round closes: the release is ignored") {
    auto d = agg.push_on(2, 0);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::restarted));
    CATCH_CHECK(d.release == std::vector<worker_id>{2});
    CATCH_CHECK_FALSE(d.close);
    agg.push_on(2, 3);  // the restarted job
    CATCH_CHECK(agg.is_pending(agg.last_id()));
  }
  CATCH_SECTION("crossing arrives after another round: the worker moves to the newer version") {
    agg.push(0);
    agg.push(1);
    CATCH_REQUIRE(agg.version() == 4);
    auto d = agg.push_on(2, 0);
    CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::restarted));
    CATCH_CHECK(d.release == std::vector<worker_id>{2});
    CATCH_REQUIRE(agg.job_version(2) == 4);  // the release is newer than its job: it takes it
    agg.push_on(2, 4);
    CATCH_CHECK(agg.is_pending(agg.last_id()));
    CATCH_CHECK(agg.push(0).close);
  }
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs: an upload staler than tau_max at arrival is dropped as stale",
                "[policies][abs]") {
  // N = 4, K⁰ = 1, E = 1: τ_max = 4 while K = 1. The loss falls by 4 at version 3, so K becomes
  // ⌈√4⌉ = 2 and τ_max = 2: a job on version 0 was never restarted (3 behind <= 4) but is now
  // too stale to apply.
  abs_policy inner(make_options(4, 1, 1, 4));
  loss_feeding_policy p(inner, [](version_t v) { return v >= 3 ? 0.25 : 1.0; });
  fake_aggregator agg(p, {0, 1, 2, 3});
  agg.start();
  for (int r = 0; r < 3; ++r) {
    auto d = agg.push(0);
    CATCH_REQUIRE(d.close);
    CATCH_CHECK(d.restart.empty());
    CATCH_CHECK(annotation(d, "tau_max") == 4.0);
  }
  CATCH_REQUIRE(inner.schedule().k() == 2);
  CATCH_REQUIRE(inner.schedule().tau_max() == 2);
  auto d = agg.push(3);  // on version 0, its job's version
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::stale));
  CATCH_CHECK(d.release == std::vector<worker_id>{3});
  CATCH_CHECK(agg.job_version(3) == 3);  // onto the latest model
  agg.push(3);
  auto e = agg.push(0);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(e.apply.size() == 2);
  CATCH_CHECK(annotation(e, "k") == 2.0);
  for (auto& m : agg.rounds().back().metas)
    CATCH_CHECK(agg.rounds().back().from_version - m.version <= 2);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs: membership changes clamp K and release joiners",
                "[policies][abs][membership]") {
  abs_policy p(make_options(3, 3, 100, 4));
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.push(0);
  agg.push(1);
  const auto gone = agg.last_id();
  auto d = agg.remove_workers({1});
  CATCH_CHECK(agg.is_dropped(gone, drop_reason::crashed));
  CATCH_CHECK_FALSE(d.close);  // K = 2 now, only worker 0 pending
  CATCH_CHECK(p.schedule().k() == 2);
  auto e = agg.push(2);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(annotation(e, "k") == 2.0);
  CATCH_CHECK(annotation(e, "tau_max") == 1.0);
  auto j = agg.add_workers({1});
  CATCH_CHECK(j.release == std::vector<worker_id>{1});
  CATCH_CHECK(j.restart.empty());
  CATCH_CHECK(agg.job_version(1) == agg.version());
  CATCH_CHECK(p.schedule().k() == 3);  // back to K*
  CATCH_CHECK(agg.contract_held());
}

// ---- invariants ------------------------------------------------------------------------------

CATCH_TEST_CASE("abs: with K = N and U = 1 it is ssgd", "[policies][abs][numeric]") {
  // Every round averages the N one-step deltas −η g_i / n: with equal batches that is ssgd's
  // sample-weighted mean step. Workers of different speeds, so arrival orders vary.
  constexpr std::size_t n = 4;
  const double lr = 0.05;
  abs_policy p(make_options(n, n, 1, 1, 1.0));
  local_steps_cluster cl(
    p, make_shards(n, 20, 3),
    {{1.0, 0.2, 0.1, 5}, {1.7, 0.1, 0.3, 5}, {0.6, 0.5, 0.2, 5}, {2.9, 0.3, 0.1, 5}}, w0, lr);
  cl.start();
  const version_t rounds = 20;
  cl.run_until_version(rounds);
  CATCH_REQUIRE(cl.agg().version() == rounds);

  ssgd_policy sp(ssgd_options{});
  least_squares_cluster ss(sp, make_shards(n, 20, 3), w0, lr);
  ss.agg().start();
  for (version_t t = 0; t < rounds; ++t) {
    for (worker_id i = 0; i < n; ++i)
      ss.push_batch(i, cl.batch_of(i, t, 0), ss.agg().job_version(i));
    CATCH_CHECK(max_abs_diff(cl.weights_at(t + 1), ss.weights_at(t + 1)) <= 1e-12);
  }
  CATCH_CHECK(max_abs_diff(ss.weights(), w0) > 1e-2);
  for (auto& u : cl.uploads()) {
    CATCH_CHECK(u.decision.restart.empty());
    CATCH_CHECK(u.decision.drop.empty());
    if (u.decision.close)
      CATCH_CHECK(u.decision.apply.size() == n);
  }
  CATCH_CHECK(cl.agg().contract_held());
}

CATCH_TEST_CASE("abs: invariants on a heterogeneous run with a growing K",
                "[policies][abs][numeric]") {
  // Five workers from fast to very slow, slow links; K⁰ = 1 grows every 3 rounds as the fed loss
  // falls. Every decision is checked against what the aggregator knew just before it.
  constexpr std::size_t n = 5;
  abs_policy inner(make_options(n, 1, 3, 2, 1.0));
  loss_feeding_policy p(inner, [](version_t v) { return 1.0 / (1.0 + 0.4 * double(v)); });
  // Every job is longer than its upload transit, so only an upload that crossed a restart can
  // carry a version other than its worker's last job. The slow workers' long uplinks make such
  // crossings happen, some overtaken by further rounds before they arrive.
  local_steps_cluster cl(p, make_shards(n, 24, 3),
                         {{1.0, 0.2, 0.1, 4},
                          {1.3, 0.4, 0.1, 4},
                          {1.9, 0.3, 0.2, 4},
                          {3.1, 0.5, 0.1, 4},
                          {5.0, 2.7, 0.3, 4}},
                         w0, 0.05);
  cl.set_probe([&] { return double(inner.schedule().tau_max()); });
  cl.start();
  cl.run_until_version(80);
  CATCH_REQUIRE(cl.agg().version() == 80);

  std::size_t previous_k = 0, first_k = 0, restarts = 0, restarted_drops = 0, stale_drops = 0;
  std::set<worker_id> contributed;
  for (auto& u : cl.uploads()) {
    CATCH_INFO("upload " << u.id << " of worker " << u.worker << " on version " << u.version
                         << " at server version " << u.server_version);
    const auto& d = u.decision;
    // Drops follow the rules, from what was known just before the arrival.
    const bool replaced = u.version != u.jobs_before.at(u.worker);
    const bool too_stale = !replaced && double(u.server_version - u.version) > u.probe;
    CATCH_CHECK(cl.agg().is_dropped(u.id, drop_reason::restarted) == replaced);
    CATCH_CHECK(cl.agg().is_dropped(u.id, drop_reason::stale) == too_stale);
    if (replaced || too_stale) {
      CATCH_CHECK(d.release == std::vector<worker_id>{u.worker});
      CATCH_CHECK(u.jobs_after.at(u.worker) == u.server_version);
    }
    restarted_drops += replaced ? 1 : 0;
    stale_drops += too_stale ? 1 : 0;
    if (!d.close)
      continue;
    const auto k = static_cast<std::size_t>(annotation(d, "k"));
    const auto tau = static_cast<std::size_t>(annotation(d, "tau_max"));
    const version_t next = u.server_version + 1;
    // K non-decreasing within [1, N]; τ_max from its rule.
    CATCH_CHECK(k >= 1);
    CATCH_CHECK(k <= n);
    CATCH_CHECK(k >= previous_k);
    CATCH_CHECK(tau == std::max<std::size_t>(1, ceil_div(n, k)));
    first_k = first_k == 0 ? k : first_k;
    previous_k = k;
    // Exactly K distinct workers, none staler than τ_max, each weighted η_g / K.
    std::set<worker_id> workers;
    for (auto& a : d.apply) {
      auto& m = cl.agg().meta(a.id);
      workers.insert(m.worker);
      CATCH_CHECK(u.server_version - m.version <= tau);
      CATCH_CHECK(a.weight == Approx(1.0 / double(k)));
      // Contributors are released onto x^{t+1}.
      CATCH_CHECK(contains(d.release, m.worker));
      CATCH_CHECK(u.jobs_after.at(m.worker) == next);
    }
    CATCH_CHECK(d.apply.size() == k);
    CATCH_CHECK(workers.size() == k);
    contributed.insert(workers.begin(), workers.end());
    // Restarted: exactly the other live workers whose job is now more than τ_max behind, judged
    // by the last job each was given, which is what the worker is on (a worker whose upload
    // still waits in the policy is not restarted).
    std::vector<worker_id> expected;
    for (auto& [w, job] : u.jobs_before)
      if (workers.count(w) == 0 && u.waiting_after.count(w) == 0 && next - job > tau)
        expected.push_back(w);
    CATCH_CHECK(sorted(d.restart) == expected);
    for (auto w : d.restart)
      CATCH_CHECK(u.jobs_after.at(w) == next);
    restarts += d.restart.size();
  }
  CATCH_CHECK(first_k == 1);
  CATCH_CHECK(previous_k == n);  // K grew all the way
  CATCH_CHECK(contributed.size() == n);
  // Every path was taken: restarts, uploads that crossed them, and one that K's growth made
  // too stale.
  CATCH_CHECK(restarts > 0);
  CATCH_CHECK(restarted_drops > 0);
  CATCH_CHECK(stale_drops > 0);
  CATCH_CHECK(cl.ignored_releases() > 0);  // a crossing answered with nothing newer
  // Each restart can strand at most the one upload that crossed it: no worker is caught in a
  // loop of uploads on versions the policy no longer expects.
  CATCH_CHECK(restarted_drops <= restarts);
  CATCH_CHECK(cl.agg().contract_held());
  CATCH_CHECK(max_abs_diff(cl.weights_at(80), w0) > 1e-2);
}
