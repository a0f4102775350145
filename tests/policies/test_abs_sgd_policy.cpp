// abs_sgd (delayed synchronous SGD with adaptive batch size): the aggregator asks every live
// worker to hand over its accumulator at each synchronization (comm / period / samples trigger)
// and closes when all asked workers answered. The POLICIES.md invariants are about what workers
// in continuous mode make of those decisions, so they are checked on a deterministic simulation
// of that mode (continuous_sim.hpp) on least squares; the triggers and drops directly through
// the fake aggregator.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "continuous_sim.hpp"
#include "fake_aggregator.hpp"
#include "least_squares.hpp"
#include "policies/abs_sgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

abs_sgd_policy make_abs_sgd(abs_sgd_trigger trigger, double period_s,
                            std::uint64_t target_samples = 0) {
  abs_sgd_options o;
  o.trigger = trigger;
  o.period_s = period_s;
  o.target_samples = target_samples;
  return abs_sgd_policy(o);
}

const vec w0 = {0.5, -0.25, 0.1};
constexpr double lr = 0.05;

/// The reference recurrence of POLICIES.md, rebuilt from the sample sets alone: the round that
/// closes version r (0-based) applies the samples handed over at sync r + 1 (iteration r),
/// with gradients taken at version max(r − 1, 0): the paper's w_{t+1} = w_t − η ΣA^{t−1}/Σn^{t−1}
/// with no update after iteration 0 (w_1 = w_0), shifted by one because the aggregator counts
/// the first close as version 1.
std::vector<vec> reference_weights(const continuous_cluster& cl) {
  std::vector<vec> v = {cl.weights_at(0)};
  for (std::size_t r = 0; r < cl.agg().rounds().size(); ++r) {
    const vec& at = v[r == 0 ? 0 : r - 1];
    vec sum(at.size(), 0.0);
    double n = 0.0;
    for (auto& m : cl.agg().rounds()[r].metas) {
      auto& h = cl.handover(m.id);
      vec g = gradient_sum(cl.samples_of(h.worker, h.samples), at);
      for (std::size_t k = 0; k < sum.size(); ++k)
        sum[k] += g[k];
      n += double(h.samples.size());
    }
    vec next = v[r];
    if (n > 0.0)
      for (std::size_t k = 0; k < next.size(); ++k)
        next[k] -= lr * sum[k] / n;
    v.push_back(next);
  }
  return v;
}

std::uint64_t samples_of_round(const closed_round& r) {
  std::uint64_t n = 0;
  for (auto& m : r.metas)
    n += m.samples;
  return n;
}

}  // namespace

// ---- configuration --------------------------------------------------------------------------

CATCH_TEST_CASE("abs_sgd: traits, trigger names and constructor errors", "[policies][abs_sgd]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 0.1);
  CATCH_CHECK(p.traits().name == "abs_sgd");
  CATCH_CHECK(p.traits().mode == worker_mode::continuous);
  CATCH_CHECK(p.traits().payload == payload_kind::gradient_sum);
  CATCH_CHECK(p.traits().transfer == transfer_kind::all_reduce);

  for (auto t : {abs_sgd_trigger::comm, abs_sgd_trigger::period, abs_sgd_trigger::samples})
    CATCH_CHECK(parse_abs_sgd_trigger(to_string(t)) == t);
  CATCH_CHECK_THROWS_AS(parse_abs_sgd_trigger("sample"), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(parse_abs_sgd_trigger(""), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(parse_abs_sgd_trigger("Period"), std::invalid_argument);

  CATCH_CHECK_THROWS_AS(make_abs_sgd(abs_sgd_trigger::period, 0.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(make_abs_sgd(abs_sgd_trigger::period, -1.0), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(
    make_abs_sgd(abs_sgd_trigger::comm, std::numeric_limits<double>::quiet_NaN()),
    std::invalid_argument);
  CATCH_CHECK_THROWS_AS(make_abs_sgd(abs_sgd_trigger::samples, 0.1, 0), std::invalid_argument);
  CATCH_CHECK_NOTHROW(make_abs_sgd(abs_sgd_trigger::samples, 0.1, 1));
  CATCH_CHECK_NOTHROW(make_abs_sgd(abs_sgd_trigger::period, 0.1, 0));  // target only for samples
}

// ---- triggers -------------------------------------------------------------------------------

CATCH_TEST_CASE("abs_sgd: the period trigger asks every live worker every period",
                "[policies][abs_sgd]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1, 2});
  auto s = agg.start();
  CATCH_CHECK(sorted(s.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(s.request_upload.empty());  // iteration 0 runs a full period
  CATCH_REQUIRE(s.has_timer());
  CATCH_CHECK(s.wake_at_s == Approx(1.0));
  CATCH_CHECK(is_noop(agg.fire_timer_at(0.5)));  // early timer

  auto sync = agg.fire_timer_at(1.0);
  CATCH_CHECK(sorted(sync.request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK_FALSE(sync.close);
  CATCH_CHECK(agg.fire_timer_at(1.05).request_upload.empty());  // asked once per sync

  agg.set_time(1.1);
  CATCH_CHECK(is_noop(agg.push(2, 30)));
  agg.set_time(1.2);
  CATCH_CHECK(is_noop(agg.push(0, 50)));
  agg.set_time(1.3);
  auto d = agg.push(1, 40);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::all_arrived);
  CATCH_CHECK(d.combine == combine_rule::sample_weighted_mean);
  CATCH_CHECK(d.apply.size() == 3);
  for (auto& a : d.apply)
    CATCH_CHECK(a.weight == 1.0);  // plain ΣA / Σn
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(d.request_upload.empty());
  // The next sync is a period after this sync STARTED, not after the close.
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s == Approx(2.0));
  CATCH_CHECK(sorted(agg.fire_timer_at(2.0).request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE(
  "abs_sgd: a round still open when the period ends starts the next sync at its close",
  "[policies][abs_sgd]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.set_time(1.2);
  agg.push(0);
  CATCH_CHECK(is_noop(agg.fire_timer_at(2.0)));  // period over, but worker 1 is still computing
  agg.set_time(2.5);
  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(sorted(d.request_upload) == std::vector<worker_id>{0, 1});  // the next sync, now
  CATCH_CHECK_FALSE(d.has_timer());
  agg.set_time(2.6);
  agg.push(0);
  agg.set_time(2.7);
  auto e = agg.push(1);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(e.request_upload.empty());
  CATCH_REQUIRE(e.has_timer());
  CATCH_CHECK(e.wake_at_s == Approx(3.5));  // a period after the deferred sync at 2.5
  CATCH_CHECK(agg.version() == 2);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: the comm trigger syncs at once and again in every closing decision",
                "[policies][abs_sgd]") {
  auto p = make_abs_sgd(abs_sgd_trigger::comm, 5.0);
  fake_aggregator agg(p, {0, 1});
  auto s = agg.start();
  CATCH_REQUIRE(s.has_timer());
  CATCH_CHECK(s.wake_at_s == Approx(0.0));
  CATCH_CHECK(sorted(agg.fire_timer().request_upload) == std::vector<worker_id>{0, 1});
  for (int round = 0; round < 3; ++round) {
    agg.set_time(0.1 * (round + 1));
    CATCH_CHECK(is_noop(agg.push(1)));
    auto d = agg.push(0);
    CATCH_REQUIRE(d.close);
    // Releases and the next request travel together: no idle period, no timer.
    CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1});
    CATCH_CHECK(sorted(d.request_upload) == std::vector<worker_id>{0, 1});
    CATCH_CHECK_FALSE(d.has_timer());
  }
  CATCH_CHECK(is_noop(agg.fire_timer_at(5.0)));  // the period plays no part
  CATCH_CHECK(agg.version() == 3);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: the samples trigger times the next sync from the last iteration's rate",
                "[policies][abs_sgd]") {
  const std::uint64_t target = 300;
  auto p = make_abs_sgd(abs_sgd_trigger::samples, 0.5, target);
  fake_aggregator agg(p, {0, 1});
  auto s = agg.start();
  CATCH_CHECK(s.wake_at_s == Approx(0.5));  // the first iteration lasts period_s
  agg.fire_timer_at(0.5);
  agg.set_time(0.52);
  agg.push(0, 60);
  agg.set_time(0.55);
  auto d = agg.push(1, 40);
  CATCH_REQUIRE(d.close);
  // 100 samples in the 0.5 s iteration: 200 samples/s, so 300 samples take 1.5 s from the sync.
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s == Approx(0.5 + double(target) / (100.0 / 0.5)));
  CATCH_REQUIRE(d.annotations.size() == 1);
  CATCH_CHECK(d.annotations[0].first == "next_sync_in_s");
  CATCH_CHECK(d.annotations[0].second == Approx(d.wake_at_s - 0.55));
  CATCH_CHECK(is_noop(agg.fire_timer_at(1.9)));

  agg.fire_timer_at(2.0);
  agg.set_time(2.1);
  agg.push(0, 250);
  auto e = agg.push(1, 200);
  CATCH_REQUIRE(e.close);
  // 450 samples in the 1.5 s between the syncs: 300 samples/s, 1 s to the target.
  CATCH_CHECK(e.wake_at_s == Approx(2.0 + double(target) / (450.0 / 1.5)));

  agg.fire_timer_at(3.0);
  agg.push(0, 0);
  auto z = agg.push(1, 0);
  CATCH_REQUIRE(z.close);
  CATCH_CHECK(z.wake_at_s == Approx(3.0 + 0.5));  // no rate known: fall back to the period
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: linear lr scaling scales each round by its samples over the reference",
                "[policies][abs_sgd]") {
  abs_sgd_options o;
  o.period_s = 1.0;
  o.linear_lr_scaling = true;
  CATCH_CHECK_THROWS_AS(abs_sgd_policy(o), std::invalid_argument);  // needs a reference batch
  o.reference_batch = 50;
  abs_sgd_policy p(o);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.push(0, 60);
  auto d = agg.push(1, 40);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.lr_scale == Approx(100.0 / 50.0));
  CATCH_REQUIRE(d.annotations.size() == 1);
  CATCH_CHECK(d.annotations[0].first == "lr_scale");
  CATCH_CHECK(d.annotations[0].second == Approx(2.0));
  // Off by default: the rate is η on the mean.
  auto q = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator plain(q, {0});
  plain.start();
  plain.fire_timer_at(1.0);
  auto e = plain.push(0, 60);
  CATCH_REQUIRE(e.close);
  CATCH_CHECK(e.lr_scale == 1.0);
  CATCH_CHECK(e.annotations.empty());
}

// ---- drops and membership -------------------------------------------------------------------

CATCH_TEST_CASE("abs_sgd: unrequested and duplicate hand-overs are late and released",
                "[policies][abs_sgd]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.set_time(0.5);
  auto early = agg.push(0);  // nobody asked yet
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(early.release == std::vector<worker_id>{0});
  CATCH_CHECK_FALSE(early.close);

  agg.fire_timer_at(1.0);
  agg.push(0);
  const auto first = agg.last_id();
  auto dup = agg.push(0);  // a second hand-over in the same sync
  const auto second = agg.last_id();
  CATCH_CHECK(agg.is_dropped(second, drop_reason::late));
  CATCH_CHECK(dup.release == std::vector<worker_id>{0});
  CATCH_CHECK_FALSE(dup.close);
  auto ghost = agg.push_on(7, 0);  // not a member
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
  CATCH_CHECK(ghost.release.empty());

  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{first, agg.last_id()});
  auto after = agg.push(1);  // between syncs: answers no request
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(after.release == std::vector<worker_id>{1});
  CATCH_CHECK(agg.pending_ids().empty());
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: a departed worker's hand-over is dropped and the round closes without it",
                "[policies][abs_sgd][membership]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.push(0);
  const auto id0 = agg.last_id();
  agg.push(1);
  const auto id1 = agg.last_id();
  // Worker 1 handed over and left; worker 2 left before handing over.
  auto d = agg.remove_workers({1, 2});
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::membership);
  CATCH_CHECK(ids_of(d.apply) == std::vector<contribution_id>{id0});
  CATCH_CHECK(agg.is_dropped(id1, drop_reason::crashed));
  CATCH_CHECK(d.release == std::vector<worker_id>{0});
  auto late = agg.push_on(2, 0);  // worker 2's hand-over, after it left
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::crashed));
  CATCH_CHECK(late.release.empty());
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: a joiner is released at once and asked at the next sync",
                "[policies][abs_sgd][membership]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.set_time(1.1);
  auto j = agg.add_workers({2});
  CATCH_CHECK(j.release == std::vector<worker_id>{2});
  CATCH_CHECK_FALSE(j.close);
  CATCH_CHECK(j.request_upload.empty());
  auto unasked = agg.push(2);  // it was not part of this sync
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(unasked.release == std::vector<worker_id>{2});
  agg.push(0);
  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);  // not held back by the joiner
  CATCH_CHECK(d.apply.size() == 2);
  CATCH_CHECK(sorted(agg.fire_timer_at(2.0).request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: a worker that leaves and rejoins during a sync is not waited for",
                "[policies][abs_sgd][membership]") {
  // Its new incarnation was released, never asked, so it would never hand over: waiting for it
  // would stall the run (no timer fires while a round is open).
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.push(0);
  CATCH_CHECK_FALSE(agg.remove_workers({2}).close);  // worker 1 still computing
  auto back = agg.add_workers({2});
  CATCH_CHECK(back.release == std::vector<worker_id>{2});
  CATCH_CHECK(back.request_upload.empty());
  auto d = agg.push(1);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.apply.size() == 2);
  CATCH_CHECK(sorted(agg.fire_timer_at(2.0).request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("abs_sgd: a sync whose asked workers all left ends without an empty close",
                "[policies][abs_sgd][membership]") {
  auto p = make_abs_sgd(abs_sgd_trigger::period, 1.0);
  fake_aggregator agg(p, {0, 1});
  agg.start();
  agg.fire_timer_at(1.0);
  agg.add_workers({2});  // released, not asked
  agg.push(0);
  const auto id0 = agg.last_id();
  agg.set_time(1.5);
  auto d = agg.remove_workers({0, 1});
  CATCH_CHECK(agg.is_dropped(id0, drop_reason::crashed));
  CATCH_CHECK_FALSE(d.close);  // nothing to apply
  CATCH_CHECK(agg.version() == 0);
  CATCH_CHECK(agg.violations_text().empty());
  // The survivor is asked at the next sync, and that round closes over it.
  auto sync = d.request_upload.empty() ? agg.fire_timer_at(2.0) : d;
  CATCH_CHECK(sync.request_upload == std::vector<worker_id>{2});
  CATCH_CHECK(agg.push(2).close);
  CATCH_CHECK(agg.contract_held());
}

// ---- invariants, on the continuous-mode simulation -------------------------------------------

CATCH_TEST_CASE("abs_sgd: each update is the mean of gradients at w_{t-1} on iteration t-1 samples",
                "[policies][abs_sgd][numeric]") {
  // Invariants (1) and (3), under each trigger. Three workers of different speeds.
  const std::vector<continuous_worker_spec> specs = {{0.010, 4}, {0.023, 3}, {0.037, 5}};
  for (auto trigger : {abs_sgd_trigger::period, abs_sgd_trigger::comm, abs_sgd_trigger::samples}) {
    CATCH_INFO("trigger " << to_string(trigger));
    auto p = make_abs_sgd(trigger, 0.1, 60);
    continuous_cluster cl(p, make_shards(3, 64, 3), specs, w0, lr);
    cl.start();
    cl.run_until(3.0);
    const auto& rounds = cl.agg().rounds();
    CATCH_REQUIRE(rounds.size() >= 10);
    CATCH_CHECK(cl.problems().empty());

    std::map<worker_id, std::size_t> next_pos;  // where each worker's next hand-over must start
    for (std::size_t r = 0; r < rounds.size(); ++r) {
      CATCH_INFO("round " << r);
      CATCH_REQUIRE(rounds[r].from_version == r);
      CATCH_CHECK(rounds[r].metas.size() == 3);  // every worker, every round
      for (auto& m : rounds[r].metas) {
        auto& h = cl.handover(m.id);
        // Iteration r is the worker's (r+1)-th hand-over, taken at version max(r − 1, 0).
        CATCH_CHECK(h.index == r + 1);
        CATCH_CHECK(m.version == (r == 0 ? 0 : r - 1));
        // Exactly the samples it computed since its previous hand-over, none skipped or repeated.
        CATCH_REQUIRE_FALSE(h.samples.empty());
        for (std::size_t k = 0; k < h.samples.size(); ++k)
          CATCH_CHECK(h.samples[k] == next_pos[h.worker] + k);
        next_pos[h.worker] += h.samples.size();
        // Its gradient sum is the one at the global weights of that version: the replica the
        // worker computed on was the global model.
        vec g = gradient_sum(cl.samples_of(h.worker, h.samples), cl.weights_at(m.version));
        CATCH_CHECK(max_abs_diff(g, h.gradient_sum) <= 1e-10);
      }
    }
    // The weights follow the reference recurrence rebuilt from the sample sets.
    auto ref = reference_weights(cl);
    for (std::size_t v = 0; v < ref.size(); ++v)
      CATCH_CHECK(max_abs_diff(cl.weights_at(v), ref[v]) <= 1e-12);
    CATCH_CHECK(max_abs_diff(ref.back(), w0) > 1e-2);  // it did move
    // (3) Replicas: at its k-th hand-over every worker moves onto version k − 1, so between two
    // syncs all workers compute on the same weights.
    for (auto& [id, h] : cl.handovers())
      CATCH_CHECK(h.adopted_version == h.index - 1);
    for (auto& s : cl.syncs())
      CATCH_CHECK(s.asked == std::vector<worker_id>{0, 1, 2});
    CATCH_CHECK(cl.agg().dropped_count() == 0);
    CATCH_CHECK(cl.agg().contract_held());
  }
}

CATCH_TEST_CASE("abs_sgd: every computed sample is used exactly once", "[policies][abs_sgd]") {
  // Invariant (2): computed = applied + handed over but pending + still in the accumulators,
  // sample by sample. The run stops mid-sync so all three places hold samples.
  const std::vector<continuous_worker_spec> specs = {{0.010, 4}, {0.023, 3}, {0.061, 2}};
  for (auto trigger : {abs_sgd_trigger::period, abs_sgd_trigger::comm}) {
    CATCH_INFO("trigger " << to_string(trigger));
    auto p = make_abs_sgd(trigger, 0.1);
    continuous_cluster cl(p, make_shards(3, 16, 3), specs, w0, lr);
    cl.start();
    cl.run_until(2.04);
    CATCH_REQUIRE(cl.agg().rounds().size() >= 5);
    std::map<worker_id, std::vector<std::size_t>> used;
    std::uint64_t applied = 0;
    for (auto& [id, h] : cl.handovers()) {
      CATCH_CHECK_FALSE(cl.agg().outcome(id).state == contribution_outcome::kind::dropped);
      if (cl.agg().is_applied(id))
        applied += h.samples.size();
      used[h.worker].insert(used[h.worker].end(), h.samples.begin(), h.samples.end());
    }
    std::uint64_t computed = 0, open = 0;
    for (worker_id w = 0; w < 3; ++w) {
      computed += cl.computed(w);
      open += cl.open_samples(w).size();
      auto& u = used[w];
      u.insert(u.end(), cl.open_samples(w).begin(), cl.open_samples(w).end());
      std::sort(u.begin(), u.end());
      CATCH_REQUIRE(u.size() == cl.computed(w));
      for (std::size_t k = 0; k < u.size(); ++k)
        CATCH_CHECK(u[k] == k);  // each sample position exactly once
    }
    std::uint64_t pending = 0;
    for (auto id : cl.agg().pending_ids())
      pending += cl.agg().meta(id).samples;
    CATCH_CHECK(computed == applied + pending + open);
    CATCH_CHECK(applied > 0);
    CATCH_CHECK(open > 0);
  }
}

CATCH_TEST_CASE("abs_sgd: with speeds 2:1 the fast worker hands over twice the samples",
                "[policies][abs_sgd]") {
  // Invariant (4). Equal micro-batches m, the fast one takes half the time; the period is not a
  // multiple of either, so the hand-over points jitter. A worker hands over at the end of the
  // micro-batch in flight, so its count over a sync interval R is within one micro-batch of
  // speed × R: |n_i − s_i R| <= m. Hence |n_fast − 2 n_slow| <= 3m and
  // |n_fast / n_slow − 2| <= 3m / n_slow (<= 0.3 with at least 10 slow micro-batches).
  constexpr std::size_t m = 4;
  const double d_fast = 0.01, d_slow = 0.02, period = 0.237;
  auto p = make_abs_sgd(abs_sgd_trigger::period, period);
  continuous_cluster cl(p, make_shards(2, 64, 3), {{d_fast, m}, {d_slow, m}}, w0, lr);
  cl.start();
  cl.run_until(6.0);
  const auto& rounds = cl.agg().rounds();
  CATCH_REQUIRE(rounds.size() >= 20);
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    CATCH_INFO("round " << r);
    const double begin = r == 0 ? 0.0 : cl.syncs()[r - 1].at_s;
    const double interval = cl.syncs()[r].at_s - begin;
    CATCH_CHECK(interval == Approx(period));  // every round closed within its period
    std::map<worker_id, double> n;
    for (auto& meta : rounds[r].metas)
      n[meta.worker] = double(meta.samples);
    CATCH_REQUIRE(n.size() == 2);
    CATCH_REQUIRE(n[1] >= 10.0 * m);  // the premise: >= 10 micro-batches per iteration
    CATCH_CHECK(std::abs(n[0] - double(m) / d_fast * interval) <= double(m) + 1e-9);
    CATCH_CHECK(std::abs(n[1] - double(m) / d_slow * interval) <= double(m) + 1e-9);
    CATCH_CHECK(std::abs(n[0] / n[1] - 2.0) <= 3.0 * double(m) / n[1] + 1e-12);
  }
}

CATCH_TEST_CASE("abs_sgd: a worker that computes nothing changes nothing",
                "[policies][abs_sgd][numeric]") {
  // Invariant (5). With atomic micro-batches a computing worker always hands over at least the
  // one in flight; a zero-sample hand-over comes from a worker with nothing in flight. Its (0, 0)
  // must neither hold the round nor move the weights: the run with it equals the run without it.
  const std::vector<continuous_worker_spec> two = {{0.010, 4}, {0.023, 3}};
  auto three = two;
  three.push_back({0.0, 4});  // computes nothing
  auto shards = make_shards(3, 32, 3);
  for (auto trigger : {abs_sgd_trigger::period, abs_sgd_trigger::comm}) {
    CATCH_INFO("trigger " << to_string(trigger));
    auto pa = make_abs_sgd(trigger, 0.1);
    auto pb = make_abs_sgd(trigger, 0.1);
    continuous_cluster with(pa, shards, three, w0, lr);
    continuous_cluster without(pb, {shards[0], shards[1]}, two, w0, lr);
    with.start();
    without.start();
    with.run_until(2.0);
    without.run_until(2.0);
    CATCH_REQUIRE(with.agg().rounds().size() >= 10);
    CATCH_REQUIRE(with.agg().rounds().size() == without.agg().rounds().size());
    for (version_t v = 0; v <= with.agg().version(); ++v)
      CATCH_CHECK(max_abs_diff(with.weights_at(v), without.weights_at(v)) == 0.0);
    for (std::size_t r = 0; r < with.agg().rounds().size(); ++r) {
      CATCH_CHECK(with.agg().rounds()[r].at_s == without.agg().rounds()[r].at_s);
      CATCH_CHECK(samples_of_round(with.agg().rounds()[r]) ==
                  samples_of_round(without.agg().rounds()[r]));
      // The idle worker was asked, answered and was applied: never dropped, never waited for.
      std::size_t idle = 0;
      for (auto& m : with.agg().rounds()[r].metas)
        if (m.worker == 2) {
          ++idle;
          CATCH_CHECK(m.samples == 0);
        }
      CATCH_CHECK(idle == 1);
    }
    CATCH_CHECK(with.agg().dropped_count() == 0);
    CATCH_CHECK(with.agg().contract_held());
  }
}

CATCH_TEST_CASE("abs_sgd: the samples trigger keeps iterations near the target",
                "[policies][abs_sgd]") {
  // Sync k+1 is due target / rate_k after sync k, rate_k = S_k / (T_k − T_{k−1}). Each worker's
  // count over an interval R is within one micro-batch of s_i R, so with M = Σ m_i:
  // |S_{k+1} − target| <= target · M / S_k + M.
  const std::uint64_t target = 200;
  const double first = 0.3;
  const std::vector<continuous_worker_spec> specs = {{0.010, 4}, {0.025, 4}};
  const double big_m = 8.0;
  auto p = make_abs_sgd(abs_sgd_trigger::samples, first, target);
  continuous_cluster cl(p, make_shards(2, 64, 3), specs, w0, lr);
  cl.start();
  cl.run_until(8.0);
  const auto& rounds = cl.agg().rounds();
  const auto& syncs = cl.syncs();
  CATCH_REQUIRE(rounds.size() >= 15);
  CATCH_CHECK(syncs[0].at_s == Approx(first));
  for (std::size_t r = 0; r + 1 < rounds.size(); ++r) {
    CATCH_INFO("round " << r);
    const double s_r = double(samples_of_round(rounds[r]));
    const double since = syncs[r].at_s - (r == 0 ? 0.0 : syncs[r - 1].at_s);
    CATCH_CHECK(syncs[r + 1].at_s - syncs[r].at_s == Approx(double(target) * since / s_r));
    const double s_next = double(samples_of_round(rounds[r + 1]));
    CATCH_CHECK(std::abs(s_next - double(target)) <= double(target) * big_m / s_r + big_m + 1e-9);
  }
  // The first iteration (a period) was far off the target; the rate rule corrected it.
  CATCH_CHECK(std::abs(double(samples_of_round(rounds[0])) - double(target)) > 2.0 * big_m);
  CATCH_CHECK(cl.agg().contract_held());
}
