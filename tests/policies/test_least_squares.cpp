// Numeric checks of the baselines on least squares in double precision: ssgd with equal batches
// is full-batch gradient descent on the union of the shards; asgd with one worker is sequential
// SGD; asgd applies a stale contribution with the gradient taken at its old version.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>

#include "least_squares.hpp"
#include "policies/asgd_policy.hpp"
#include "policies/batch_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

namespace {

constexpr std::size_t workers = 4;
constexpr std::size_t per_worker = 8;
constexpr std::size_t features = 3;
constexpr double lr = 0.05;
const vec w0 = {0.5, -0.25, 0.1};

std::vector<sample> union_of(const std::vector<std::vector<sample>>& shards) {
  std::vector<sample> all;
  for (auto& s : shards)
    all.insert(all.end(), s.begin(), s.end());
  return all;
}

vec gd_step(const vec& w, const std::vector<sample>& batch, double step) {
  vec g = gradient_sum(batch, w);
  vec out = w;
  for (std::size_t k = 0; k < w.size(); ++k)
    out[k] -= step * g[k] / double(batch.size());
  return out;
}

}  // namespace

CATCH_TEST_CASE("least squares harness: gradient sums are right", "[policies][numeric]") {
  // One sample x = (1, 2), y = 1 at w = (1, 1): residual 2, gradient (2, 4); two copies sum.
  std::vector<sample> b = {{{1.0, 2.0}, 1.0}, {{1.0, 2.0}, 1.0}};
  auto g = gradient_sum(b, {1.0, 1.0});
  CATCH_CHECK(g[0] == 4.0);
  CATCH_CHECK(g[1] == 8.0);
  auto shards = make_shards(workers, per_worker, features);
  CATCH_REQUIRE(shards.size() == workers);
  for (auto& s : shards) {
    CATCH_CHECK(s.size() == per_worker);
    CATCH_CHECK(s[0].x.size() == features);
  }
  // Not a degenerate problem: gradient at w0 is far from zero.
  CATCH_CHECK(max_abs_diff(gradient_sum(union_of(shards), w0), vec(features, 0.0)) > 1.0);
}

CATCH_TEST_CASE("ssgd with N workers and equal batches equals full-batch GD on the union",
                "[policies][ssgd][numeric]") {
  // Batch sizes and shards from the fixed batch policy: 4 equal shares of 32 samples.
  fixed_batch_policy batches(per_worker);
  auto assign = batches.initial(workers);
  for (auto& a : assign) {
    CATCH_REQUIRE(a.batch == std::int64_t(per_worker));
    CATCH_REQUIRE(a.share * double(workers * per_worker) == Approx(double(per_worker)));
  }
  auto shards = make_shards(workers, per_worker, features);
  const auto all = union_of(shards);

  std::array<worker_id, 4> order = {3, 1, 0, 2};
  ssgd_policy p(ssgd_options{});
  least_squares_cluster cluster(p, shards, w0, lr);
  auto& agg = cluster.agg();
  agg.start();

  vec ref = w0;
  const int rounds = 6;
  for (int r = 0; r < rounds; ++r) {
    for (auto w : order)
      cluster.push_shard(w);
    std::next_permutation(order.begin(), order.end());  // a different arrival order each round
    ref = gd_step(ref, all, lr);
    CATCH_REQUIRE(cluster.updates() == std::size_t(r + 1));
    CATCH_INFO("round " << r);
    CATCH_CHECK(max_abs_diff(cluster.weights(), ref) <= 1e-12);
  }
  // The test can fail: the weights really moved, by much more than the tolerance.
  CATCH_CHECK(max_abs_diff(cluster.weights(), w0) > 1e-2);
  // A single worker's shard alone gives a different trajectory (so "union" is what is checked).
  vec solo = w0;
  for (int r = 0; r < rounds; ++r)
    solo = gd_step(solo, shards[0], lr);
  CATCH_CHECK(max_abs_diff(cluster.weights(), solo) > 1e-6);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("asgd with one worker equals sequential SGD", "[policies][asgd][numeric]") {
  auto shards = make_shards(1, 4 * per_worker, features);
  const auto& data = shards[0];
  const std::size_t batch = 4;
  asgd_policy p(asgd_options{});
  least_squares_cluster cluster(p, shards, w0, lr);
  auto& agg = cluster.agg();
  agg.start();

  vec ref = w0;
  const std::size_t steps = 20;  // 2.5 passes over the data, batches cycle
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t begin = (s * batch) % data.size();
    std::vector<sample> b(data.begin() + begin, data.begin() + begin + batch);
    auto d = cluster.push_batch(0, b, agg.job_version(0));
    CATCH_REQUIRE(d.close);
    ref = gd_step(ref, b, lr);
    CATCH_CHECK(max_abs_diff(cluster.weights(), ref) <= 1e-12);
  }
  CATCH_CHECK(cluster.updates() == steps);
  CATCH_CHECK(max_abs_diff(cluster.weights(), w0) > 1e-2);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("asgd applies a stale contribution with the gradient of its old version",
                "[policies][asgd][numeric]") {
  auto shards = make_shards(2, per_worker, features);
  asgd_policy p(asgd_options{});
  least_squares_cluster cluster(p, shards, w0, lr);
  auto& agg = cluster.agg();
  agg.start();  // both workers start on version 0 (w0)

  // Worker 0 is fast: two updates before worker 1 arrives.
  cluster.push_shard(0);
  cluster.push_shard(0);
  CATCH_REQUIRE(agg.version() == 2);
  const vec w2 = cluster.weights();

  // Worker 1 computed on version 0; it arrives at version 2 (staleness 2).
  cluster.push_shard(1);
  CATCH_REQUIRE(agg.version() == 3);
  CATCH_CHECK(agg.meta(agg.last_id()).version == 0);
  CATCH_CHECK(agg.outcome(agg.last_id()).applied_at_version == 2);

  vec expected = w2;
  {
    vec g = gradient_sum(shards[1], w0);  // gradient at the OLD weights
    for (std::size_t k = 0; k < features; ++k)
      expected[k] -= lr * g[k] / double(per_worker);
  }
  vec fresh = w2;
  {
    vec g = gradient_sum(shards[1], w2);  // what a synchronous step would have used
    for (std::size_t k = 0; k < features; ++k)
      fresh[k] -= lr * g[k] / double(per_worker);
  }
  CATCH_CHECK(max_abs_diff(cluster.weights(), expected) <= 1e-12);
  // Staleness is visible: the stale update differs measurably from a fresh one.
  CATCH_CHECK(max_abs_diff(cluster.weights(), fresh) > 1e-6);
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("ssgd deadline: a late contribution never reaches the weights",
                "[policies][ssgd][numeric]") {
  auto shards = make_shards(2, per_worker, features);
  ssgd_options o;
  o.round_timeout_s = 1.0;
  ssgd_policy p(o);
  least_squares_cluster cluster(p, shards, w0, lr);
  auto& agg = cluster.agg();
  agg.start();
  agg.set_time(0.5);
  cluster.push_shard(0);
  agg.fire_timer_at(1.0);  // closes with worker 0 alone
  CATCH_REQUIRE(cluster.updates() == 1);
  const vec expected = gd_step(w0, shards[0], lr);
  CATCH_CHECK(max_abs_diff(cluster.weights(), expected) <= 1e-12);
  agg.set_time(1.5);
  cluster.push_shard(1);  // on version 0: late, dropped
  CATCH_CHECK(cluster.updates() == 1);
  CATCH_CHECK(max_abs_diff(cluster.weights(), expected) == 0.0);
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(agg.contract_held());
}
