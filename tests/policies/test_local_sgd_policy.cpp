// local_sgd (periodic model averaging): ssgd's round structure, model uploads, and a
// sample-weighted average of the models.

#include <catch2/catch.hpp>

#include "fake_aggregator.hpp"
#include "policies/local_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

CATCH_TEST_CASE("local_sgd: declares model uploads in local-steps mode with H steps",
                "[policies][local_sgd]") {
  local_sgd_policy p(local_sgd_options{6, 0.0});
  CATCH_CHECK(p.traits().name == "local_sgd");
  CATCH_CHECK(p.traits().payload == payload_kind::model);
  CATCH_CHECK(p.traits().mode == worker_mode::local_steps);
  CATCH_CHECK(p.traits().local_steps == 6);
  CATCH_CHECK_THROWS_AS(local_sgd_policy(local_sgd_options{0, 0.0}), std::invalid_argument);
}

CATCH_TEST_CASE("local_sgd: averages every live worker's model, weighted by samples",
                "[policies][local_sgd]") {
  local_sgd_policy p(local_sgd_options{4, 0.0});
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  CATCH_CHECK_FALSE(agg.push(0, 100).close);
  CATCH_CHECK_FALSE(agg.push(2, 300).close);
  auto d = agg.push(1, 100);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.combine == combine_rule::model_average);
  CATCH_CHECK(d.reason == close_reason::all_arrived);
  CATCH_REQUIRE(d.apply.size() == 3);
  double total = 0.0;
  for (auto& wc : d.apply) {
    total += wc.weight;
    auto w = agg.meta(wc.id).worker;
    CATCH_CHECK(wc.weight == Approx(w == 2 ? 0.6 : 0.2));
  }
  CATCH_CHECK(total == Approx(1.0));
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("local_sgd: rounds, releases and drops match ssgd's", "[policies][local_sgd]") {
  local_sgd_policy lp(local_sgd_options{2, 0.0});
  ssgd_policy sp(ssgd_options{});
  fake_aggregator a(lp, {0, 1, 2, 3});
  fake_aggregator b(sp, {0, 1, 2, 3});
  CATCH_CHECK(sorted(a.start().release) == sorted(b.start().release));
  const worker_id order[] = {3, 1, 0, 2};
  for (int round = 0; round < 5; ++round)
    for (auto w : order) {
      auto x = a.push(w);
      auto y = b.push(w);
      CATCH_CHECK(x.close == y.close);
      CATCH_CHECK(sorted(x.release) == sorted(y.release));
    }
  // A worker leaves with its upload pending: dropped as crashed in both, round closes.
  a.push(0);
  b.push(0);
  auto x = a.remove_workers({0});
  auto y = b.remove_workers({0});
  CATCH_CHECK(x.close == y.close);
  CATCH_CHECK(x.drop.size() == y.drop.size());
  CATCH_CHECK(a.contract_held());
  CATCH_CHECK(b.contract_held());
}
