// DBS (dynamic batch size) batch policy: the re-partition math and the epoch bookkeeping.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "policies/dbs_batch_policy.hpp"

using namespace hetsgd;

namespace {

std::int64_t sum_of(const std::vector<std::int64_t>& b) {
  return std::accumulate(b.begin(), b.end(), std::int64_t{0});
}

std::vector<double> shares_of(const std::vector<batch_assignment>& plan) {
  std::vector<double> s;
  for (const auto& a : plan)
    s.push_back(a.share);
  return s;
}

std::vector<std::int64_t> batches_of(const std::vector<batch_assignment>& plan) {
  std::vector<std::int64_t> b;
  for (const auto& a : plan)
    b.push_back(a.batch);
  return b;
}

/// One simulated iteration of a worker: pure compute, and time blocked in synchronization.
struct iteration_timing {
  double compute_s = 0.0;
  double blocked_s = 0.0;
};

/// The reporter's side: only pure compute goes into the report; blocked time never does.
throughput_report report_of(worker_id w, std::int64_t batch, const iteration_timing& t) {
  throughput_report r;
  r.worker = w;
  r.samples = static_cast<std::uint64_t>(batch);
  r.compute_s = t.compute_s;
  return r;
}

/// Runs one lockstep epoch: K rounds, every worker reports once per round. Worker i takes
/// per_sample_s[i] seconds per sample; worker `waiter` (if any) also blocks `wait_s` per
/// iteration. Returns the plan produced at the boundary; checks no other report produced one.
std::optional<std::vector<batch_assignment>> run_epoch(dbs_batch_policy& p,
                                                       const std::vector<double>& per_sample_s,
                                                       std::size_t waiter = SIZE_MAX,
                                                       double wait_s = 0.0) {
  const auto plan = p.current_plan();
  const std::size_t n = plan.size();
  std::optional<std::vector<batch_assignment>> out;
  std::int64_t boundaries = 0;
  for (std::int64_t k = 0; k < p.iterations_per_epoch(); ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      iteration_timing t;
      t.compute_s = per_sample_s[i] * static_cast<double>(plan[i].batch);
      t.blocked_s = i == waiter ? wait_s : 0.0;
      auto res = p.on_report(report_of(static_cast<worker_id>(i), plan[i].batch, t));
      if (res) {
        ++boundaries;
        out = res;
        CATCH_CHECK(k == p.iterations_per_epoch() - 1);
        CATCH_CHECK(i == n - 1);
      }
    }
  }
  CATCH_CHECK(boundaries == 1);
  return out;
}

}  // namespace

CATCH_TEST_CASE("dbs golden case: shares (1/2, 1/2), times (1 s, 2 s), B = 96 gives (64, 32)",
                "[policies][batch][dbs]") {
  for (auto rounding : {dbs_rounding::largest_remainder, dbs_rounding::reference}) {
    CATCH_INFO("rounding = " << to_string(rounding));
    auto b = dbs_batch_policy::dbs_partition({0.5, 0.5}, {1.0, 2.0}, 96, rounding);
    CATCH_REQUIRE(b.size() == 2);
    CATCH_CHECK(b[0] == 64);
    CATCH_CHECK(b[1] == 32);
  }
  auto plan = dbs_batch_policy::plan_from_batches({64, 32});
  CATCH_CHECK(plan[0].share == Approx(2.0 / 3.0));
  CATCH_CHECK(plan[1].share == Approx(1.0 / 3.0));
}

CATCH_TEST_CASE("dbs golden case through the policy: measurement epoch then (64, 32)",
                "[policies][batch][dbs]") {
  dbs_options o;
  o.global_batch = 96;
  o.dataset_size = 96 * 5 + 17;  // drop last: K = 5
  dbs_batch_policy p(o, 2);
  CATCH_CHECK(p.name() == "dbs");
  CATCH_CHECK(p.iterations_per_epoch() == 5);
  auto a = p.initial(2);
  CATCH_REQUIRE(a.size() == 2);
  CATCH_CHECK(a[0].batch == 48);
  CATCH_CHECK(a[1].batch == 48);
  CATCH_CHECK(a[0].share == 0.5);
  CATCH_CHECK(a[1].share == 0.5);
  // Worker 1 is twice as slow per sample: t = (1 s, 2 s) over the epoch.
  auto plan = run_epoch(p, {1.0 / (5.0 * 48.0), 2.0 / (5.0 * 48.0)});
  CATCH_REQUIRE(plan);
  CATCH_CHECK(batches_of(*plan) == std::vector<std::int64_t>{64, 32});
  CATCH_CHECK(p.epochs_completed() == 1);
}

CATCH_TEST_CASE("dbs invariants: sum of shares is 1, shares positive, sum of batches is B",
                "[policies][batch][dbs]") {
  std::mt19937 rng(20071183);
  std::uniform_int_distribution<int> workers_dist(1, 12);
  std::uniform_real_distribution<double> share_dist(0.001, 1.0);
  std::uniform_real_distribution<double> log_time_dist(-4.0, 4.0);
  std::bernoulli_distribution unmeasured(0.1);
  for (int trial = 0; trial < 2000; ++trial) {
    const auto n = static_cast<std::size_t>(workers_dist(rng));
    std::uniform_int_distribution<std::int64_t> batch_dist(static_cast<std::int64_t>(n), 4096);
    const std::int64_t big_b = batch_dist(rng);
    std::vector<double> shares(n), times(n);
    for (std::size_t i = 0; i < n; ++i) {
      shares[i] = share_dist(rng);
      times[i] = unmeasured(rng) ? 0.0 : std::pow(10.0, log_time_dist(rng));
    }
    CATCH_INFO("trial " << trial << ", N = " << n << ", B = " << big_b);
    auto b = dbs_batch_policy::dbs_partition(shares, times, big_b, dbs_rounding::largest_remainder);
    CATCH_REQUIRE(b.size() == n);
    CATCH_REQUIRE(sum_of(b) == big_b);
    for (auto x : b)
      CATCH_REQUIRE(x >= 1);
    auto plan = dbs_batch_policy::plan_from_batches(b);
    double share_sum = 0.0;
    for (const auto& a : plan) {
      CATCH_REQUIRE(a.share > 0.0);
      CATCH_REQUIRE(a.share <= 1.0);
      share_sum += a.share;
    }
    CATCH_REQUIRE(share_sum == Approx(1.0).epsilon(1e-12));
  }
}

CATCH_TEST_CASE("dbs invariants hold along a run with random speeds", "[policies][batch][dbs]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> speed(1e-4, 1e-2);
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u}) {
    dbs_options o;
    o.global_batch = 250;
    o.dataset_size = 250 * 3 + 100;
    dbs_batch_policy p(o, n);
    auto a = p.initial(n);
    std::int64_t total = 0;
    for (const auto& x : a)
      total += x.batch;
    CATCH_CHECK(total == 250);
    for (int epoch = 0; epoch < 5; ++epoch) {
      std::vector<double> per_sample(n);
      for (auto& s : per_sample)
        s = speed(rng);
      auto plan = run_epoch(p, per_sample);
      CATCH_REQUIRE(plan);
      CATCH_CHECK(sum_of(batches_of(*plan)) == 250);
      double share_sum = 0.0;
      for (const auto& x : *plan) {
        CATCH_CHECK(x.batch >= 1);
        CATCH_CHECK(x.share > 0.0);
        share_sum += x.share;
      }
      CATCH_CHECK(share_sum == Approx(1.0).epsilon(1e-12));
    }
    CATCH_CHECK(p.epochs_completed() == 5);
  }
}

CATCH_TEST_CASE("dbs fixed point: balanced epoch times leave the partition unchanged",
                "[policies][batch][dbs]") {
  // p_i = r_i / t_i is proportional to r_i exactly when all t_i are equal, i.e. when each
  // worker's speed is proportional to its share: then b stays as it is.
  std::mt19937 rng(42);
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(trial % 9);
    const std::int64_t big_b = 64 + trial;
    // A random valid partition b with Σb = B.
    std::vector<std::int64_t> b(n, 1);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    for (std::int64_t k = static_cast<std::int64_t>(n); k < big_b; ++k)
      ++b[pick(rng)];
    auto shares = shares_of(dbs_batch_policy::plan_from_batches(b));
    const double t = 0.5 + trial * 0.01;
    std::vector<double> times(n, t);
    CATCH_INFO("trial " << trial);
    CATCH_CHECK(
      dbs_batch_policy::dbs_partition(shares, times, big_b, dbs_rounding::largest_remainder) == b);
    CATCH_CHECK(dbs_batch_policy::dbs_partition(shares, times, big_b, dbs_rounding::reference) ==
                b);
  }
  // Through the policy: after the golden re-partition (64, 32), worker speeds 1 : 1/2 make the
  // next epoch balanced, so the plan stays (64, 32) epoch after epoch.
  dbs_options o;
  o.global_batch = 96;
  o.dataset_size = 960;
  dbs_batch_policy p(o, 2);
  p.initial(2);
  const std::vector<double> per_sample = {0.001, 0.002};
  for (int epoch = 0; epoch < 4; ++epoch) {
    auto plan = run_epoch(p, per_sample);
    CATCH_REQUIRE(plan);
    CATCH_CHECK(batches_of(*plan) == std::vector<std::int64_t>{64, 32});
  }
}

CATCH_TEST_CASE("dbs: times proportional to shares mean equal speeds, hence the equal split",
                "[policies][batch][dbs]") {
  auto b =
    dbs_batch_policy::dbs_partition({0.75, 0.25}, {3.0, 1.0}, 100, dbs_rounding::largest_remainder);
  CATCH_CHECK(b == std::vector<std::int64_t>{50, 50});
}

CATCH_TEST_CASE("dbs: the faster worker gets the larger share", "[policies][batch][dbs]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> time_dist(0.1, 10.0);
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t n = 2 + static_cast<std::size_t>(trial % 6);
    std::vector<double> shares(n, 1.0 / static_cast<double>(n));
    std::vector<double> times(n);
    for (auto& t : times)
      t = time_dist(rng);
    auto b = dbs_batch_policy::dbs_partition(shares, times, 1000, dbs_rounding::largest_remainder);
    CATCH_INFO("trial " << trial);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        if (times[i] < times[j])
          CATCH_CHECK(b[i] >= b[j]);
    // Strictly larger when clearly faster (twice as fast or more).
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        if (2.0 * times[i] <= times[j])
          CATCH_CHECK(b[i] > b[j]);
  }
  // Through the policy: worker 2 is the fastest per sample, worker 0 the slowest.
  dbs_options o;
  o.global_batch = 120;
  o.dataset_size = 1200;
  dbs_batch_policy p(o, 3);
  p.initial(3);
  auto plan = run_epoch(p, {0.003, 0.002, 0.001});
  CATCH_REQUIRE(plan);
  CATCH_CHECK((*plan)[2].share > (*plan)[1].share);
  CATCH_CHECK((*plan)[1].share > (*plan)[0].share);
}

CATCH_TEST_CASE("dbs: an injected 1 s wait in synchronization does not change the plan",
                "[policies][batch][dbs]") {
  dbs_options o;
  o.global_batch = 96;
  o.dataset_size = 96 * 4;
  const std::vector<double> per_sample = {0.001, 0.002, 0.0015};

  dbs_batch_policy clean(o, 3);
  clean.initial(3);
  auto clean_plan = run_epoch(clean, per_sample);

  // Worker 0 (the fastest) blocks 1 s per iteration waiting for the slow ones.
  dbs_batch_policy waited(o, 3);
  waited.initial(3);
  auto waited_plan = run_epoch(waited, per_sample, 0, 1.0);

  CATCH_REQUIRE(clean_plan);
  CATCH_REQUIRE(waited_plan);
  CATCH_CHECK(batches_of(*waited_plan) == batches_of(*clean_plan));

  // The plan is the one computed from pure compute time alone ...
  const double k = 4.0;
  const std::vector<double> equal = shares_of(dbs_batch_policy::plan_from_batches({32, 32, 32}));
  std::vector<double> compute(3), wall(3);
  for (std::size_t i = 0; i < 3; ++i) {
    compute[i] = k * 32.0 * per_sample[i];
    wall[i] = compute[i] + (i == 0 ? k * 1.0 : 0.0);
  }
  auto from_compute =
    dbs_batch_policy::dbs_partition(equal, compute, 96, dbs_rounding::largest_remainder);
  auto from_wall =
    dbs_batch_policy::dbs_partition(equal, wall, 96, dbs_rounding::largest_remainder);
  CATCH_CHECK(batches_of(*waited_plan) == from_compute);
  // ... and wall time would have given a different one, so this test can tell them apart.
  CATCH_CHECK(from_wall != from_compute);
}

CATCH_TEST_CASE("dbs: every worker runs floor(D over B) iterations, one boundary per epoch",
                "[policies][batch][dbs]") {
  dbs_options o;
  o.global_batch = 100;
  o.dataset_size = 1099;  // K = 10, the last 99 samples dropped
  dbs_batch_policy p(o, 4);
  CATCH_CHECK(p.iterations_per_epoch() == 10);
  p.initial(4);
  std::mt19937 rng(11);
  const std::vector<double> per_sample = {0.001, 0.002, 0.003, 0.004};
  for (int epoch = 0; epoch < 3; ++epoch) {
    // Lockstep rounds; inside a round the arrival order is random.
    std::vector<std::int64_t> iterations(4, 0);
    int boundaries = 0;
    const auto plan = p.current_plan();
    for (std::int64_t k = 0; k < 10; ++k) {
      std::vector<worker_id> order = {0, 1, 2, 3};
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t pos = 0; pos < order.size(); ++pos) {
        const worker_id w = order[pos];
        ++iterations[w];
        auto res = p.on_report(
          report_of(w, plan[w].batch, {per_sample[w] * static_cast<double>(plan[w].batch), 0.0}));
        const bool last = k == 9 && pos == order.size() - 1;
        CATCH_CHECK(res.has_value() == last);
        if (res)
          ++boundaries;
      }
    }
    CATCH_CHECK(boundaries == 1);
    for (auto it : iterations)
      CATCH_CHECK(it == p.iterations_per_epoch());
    CATCH_CHECK(p.epochs_completed() == epoch + 1);
  }
}

CATCH_TEST_CASE("dbs: the epoch closes only when the last worker reaches K",
                "[policies][batch][dbs]") {
  dbs_options o;
  o.global_batch = 10;
  o.dataset_size = 30;  // K = 3
  dbs_batch_policy p(o, 2);
  p.initial(2);
  // Worker 0 does its 3 iterations first, then reports one more (carried to the next epoch).
  for (int k = 0; k < 3; ++k)
    CATCH_CHECK(!p.on_report({0, 5, 1.0}));
  CATCH_CHECK(!p.on_report({0, 5, 1.0}));
  CATCH_CHECK(!p.on_report({1, 5, 2.0}));
  CATCH_CHECK(!p.on_report({1, 5, 2.0}));
  auto plan = p.on_report({1, 5, 2.0});
  CATCH_REQUIRE(plan);
  // t = (3 s, 6 s) for shares (1/2, 1/2): worker 0 is twice as fast; the carried report does
  // not count in this epoch.
  CATCH_CHECK(batches_of(*plan) == std::vector<std::int64_t>{7, 3});
  CATCH_CHECK(p.epochs_completed() == 1);
  // Next epoch: worker 0 already has 1 iteration; it needs 2 more, worker 1 needs 3.
  CATCH_CHECK(!p.on_report({0, 7, 1.0}));
  CATCH_CHECK(!p.on_report({0, 7, 1.0}));
  CATCH_CHECK(!p.on_report({1, 3, 1.0}));
  CATCH_CHECK(!p.on_report({1, 3, 1.0}));
  CATCH_CHECK(p.on_report({1, 3, 1.0}).has_value());
  CATCH_CHECK(p.epochs_completed() == 2);
}

CATCH_TEST_CASE("dbs reference rounding loses or adds samples, largest remainder never does",
                "[policies][batch][dbs]") {
  const std::vector<double> thirds(3, 1.0 / 3.0);
  const std::vector<double> equal_times(3, 1.0);
  // B = 100, three equally fast workers: q = 33.33 each.
  auto ref_100 = dbs_batch_policy::dbs_partition(thirds, equal_times, 100, dbs_rounding::reference);
  CATCH_CHECK(ref_100 == std::vector<std::int64_t>{33, 33, 33});
  CATCH_CHECK(sum_of(ref_100) == 99);  // one sample lost
  auto lr_100 =
    dbs_batch_policy::dbs_partition(thirds, equal_times, 100, dbs_rounding::largest_remainder);
  CATCH_CHECK(lr_100 == std::vector<std::int64_t>{34, 33, 33});
  // B = 200: q = 66.67 each.
  auto ref_200 = dbs_batch_policy::dbs_partition(thirds, equal_times, 200, dbs_rounding::reference);
  CATCH_CHECK(ref_200 == std::vector<std::int64_t>{67, 67, 67});
  CATCH_CHECK(sum_of(ref_200) == 201);  // one sample added
  CATCH_CHECK(sum_of(dbs_batch_policy::dbs_partition(thirds, equal_times, 200,
                                                     dbs_rounding::largest_remainder)) == 200);
  // Reference shares still partition the data: r_i = b_i / Σb.
  auto plan = dbs_batch_policy::plan_from_batches(ref_100);
  double s = 0.0;
  for (const auto& a : plan)
    s += a.share;
  CATCH_CHECK(s == Approx(1.0).epsilon(1e-12));

  // Over many random cases reference rounding misses B sometimes, largest remainder never.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> time_dist(0.1, 10.0);
  int reference_misses = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 2 + static_cast<std::size_t>(trial % 7);
    std::vector<double> shares(n, 1.0 / static_cast<double>(n)), times(n);
    for (auto& t : times)
      t = time_dist(rng);
    const std::int64_t big_b = 50 + trial;
    if (sum_of(dbs_batch_policy::dbs_partition(shares, times, big_b, dbs_rounding::reference)) !=
        big_b)
      ++reference_misses;
    CATCH_CHECK(sum_of(dbs_batch_policy::dbs_partition(shares, times, big_b,
                                                       dbs_rounding::largest_remainder)) == big_b);
  }
  CATCH_CHECK(reference_misses > 0);

  // The policy applies the configured rounding at the boundary.
  dbs_options o;
  o.global_batch = 100;
  o.dataset_size = 100;
  o.rounding = "reference";
  dbs_batch_policy p(o, 3);
  auto a = p.initial(3);
  CATCH_CHECK(batches_of(a) == std::vector<std::int64_t>{34, 33, 33});  // initial: exact split
  CATCH_CHECK(!p.on_report({0, 34, 0.34}));
  CATCH_CHECK(!p.on_report({1, 33, 0.33}));
  // t = (0.34, 0.33, 0.33) s for b = (34, 33, 33): equal speeds, q = 33.33 each.
  auto next = p.on_report({2, 33, 0.33});
  CATCH_REQUIRE(next);
  CATCH_CHECK(sum_of(batches_of(*next)) == 99);
}

CATCH_TEST_CASE("dbs: a worker without a measurement keeps its share", "[policies][batch][dbs]") {
  // Worker 2 reported no compute time; workers 0 and 1 split the rest by speed.
  auto b = dbs_batch_policy::dbs_partition({0.25, 0.25, 0.5}, {1.0, 4.0, 0.0}, 100,
                                           dbs_rounding::largest_remainder);
  CATCH_CHECK(b == std::vector<std::int64_t>{40, 10, 50});
  // Nobody measured: the plan stays.
  CATCH_CHECK(dbs_batch_policy::dbs_partition({0.25, 0.75}, {0.0, 0.0}, 100,
                                              dbs_rounding::largest_remainder) ==
              std::vector<std::int64_t>{25, 75});
  // Through the policy, reports with compute_s = 0 count as iterations but measure nothing.
  dbs_options o;
  o.global_batch = 8;
  o.dataset_size = 8;
  dbs_batch_policy p(o, 2);
  p.initial(2);
  CATCH_CHECK(!p.on_report({0, 4, 0.0}));
  auto plan = p.on_report({1, 4, 0.0});
  CATCH_REQUIRE(plan);
  CATCH_CHECK(batches_of(*plan) == std::vector<std::int64_t>{4, 4});
}

CATCH_TEST_CASE("dbs: batches stay at least 1 for a very slow worker", "[policies][batch][dbs]") {
  auto b =
    dbs_batch_policy::dbs_partition({0.5, 0.5}, {1.0, 1000.0}, 10, dbs_rounding::largest_remainder);
  CATCH_CHECK(b == std::vector<std::int64_t>{9, 1});
  auto r = dbs_batch_policy::dbs_partition({0.5, 0.5}, {1.0, 1000.0}, 10, dbs_rounding::reference);
  CATCH_CHECK(r == std::vector<std::int64_t>{10, 1});  // raised to 1: one sample added
  auto c = dbs_batch_policy::dbs_partition({0.25, 0.25, 0.25, 0.25}, {1.0, 1e6, 1e6, 1e6}, 4,
                                           dbs_rounding::largest_remainder);
  CATCH_CHECK(c == std::vector<std::int64_t>{1, 1, 1, 1});
}

CATCH_TEST_CASE("dbs rejects invalid settings and reports", "[policies][batch][dbs]") {
  dbs_options o;
  o.global_batch = 3;
  o.dataset_size = 100;
  try {
    dbs_batch_policy p(o, 4);
    CATCH_FAIL("B < N accepted");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CATCH_CHECK(msg.find("B = 3") != std::string::npos);
    CATCH_CHECK(msg.find("N = 4") != std::string::npos);
  }
  o.global_batch = 0;
  CATCH_CHECK_THROWS_AS(dbs_batch_policy(o, 1), std::invalid_argument);
  o.global_batch = 200;
  CATCH_CHECK_THROWS_AS(dbs_batch_policy(o, 2), std::invalid_argument);  // |D| < B
  o.global_batch = 10;
  o.rounding = "banker";
  CATCH_CHECK_THROWS_AS(dbs_batch_policy(o, 2), std::invalid_argument);
  o.rounding = "largest_remainder";
  CATCH_CHECK_THROWS_AS(dbs_batch_policy(o, 0), std::invalid_argument);

  dbs_batch_policy p(o, 2);
  CATCH_CHECK_THROWS_AS(p.on_report({0, 5, 1.0}), std::logic_error);
  CATCH_CHECK_THROWS_AS(p.initial(3), std::invalid_argument);
  p.initial(2);
  CATCH_CHECK_THROWS_AS(p.on_report({0, 5, -1.0}), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(p.on_report({0, 5, std::nan("")}), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(p.on_report({2, 5, 1.0}), std::invalid_argument);

  using dbs = dbs_batch_policy;
  const auto lr = dbs_rounding::largest_remainder;
  CATCH_CHECK_THROWS_AS(dbs::dbs_partition({0.5, 0.5}, {1.0, -1.0}, 10, lr), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(dbs::dbs_partition({0.5, 0.5}, {1.0}, 10, lr), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(dbs::dbs_partition({1.0, 0.0}, {1.0, 1.0}, 10, lr), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(dbs::dbs_partition({0.5, 0.5}, {1.0, 1.0}, 1, lr), std::invalid_argument);
  CATCH_CHECK_THROWS_AS(dbs::dbs_partition({}, {}, 10, lr), std::invalid_argument);
  CATCH_CHECK(parse_dbs_rounding("reference") == dbs_rounding::reference);
  CATCH_CHECK(to_string(parse_dbs_rounding("largest_remainder")) == "largest_remainder");
}
