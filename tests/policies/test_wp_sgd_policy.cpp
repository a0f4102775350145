// wp_sgd: timed upload requests, and a model average weighted by the work each worker did.

#include <catch2/catch.hpp>

#include "fake_aggregator.hpp"
#include "policies/wp_sgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::test;

CATCH_TEST_CASE("wp_sgd: workers run until asked, every period", "[policies][wp_sgd]") {
  wp_sgd_policy p(wp_sgd_options{2.0, wp_weighting::samples, 0.0, 0.0});
  CATCH_CHECK(p.traits().mode == worker_mode::local_steps);
  CATCH_CHECK(p.traits().local_steps == until_upload_requested);
  CATCH_CHECK(p.traits().payload == payload_kind::model);
  fake_aggregator agg(p, {0, 1, 2});
  auto d = agg.start();
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s == Approx(2.0));
  CATCH_CHECK(agg.fire_timer_at(1.0).request_upload.empty());  // before the period ends
  auto asked = agg.fire_timer_at(2.0);
  CATCH_CHECK(sorted(asked.request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.fire_timer_at(2.5).request_upload.empty());  // asked once per period
}

CATCH_TEST_CASE("wp_sgd: the average weighs each model by its samples", "[policies][wp_sgd]") {
  wp_sgd_policy p(wp_sgd_options{1.0, wp_weighting::samples, 0.0, 0.0});
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.fire_timer_at(1.0);
  CATCH_CHECK_FALSE(agg.push(0, 400).close);
  CATCH_CHECK_FALSE(agg.push(1, 100).close);
  auto d = agg.push(2, 0);  // did nothing this period: weight 0
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.combine == combine_rule::model_average);
  CATCH_CHECK(d.reason == close_reason::period);
  double total = 0.0;
  for (auto& wc : d.apply) {
    total += wc.weight;
    auto w = agg.meta(wc.id).worker;
    CATCH_CHECK(wc.weight == Approx(w == 0 ? 0.8 : w == 1 ? 0.2 : 0.0));
  }
  CATCH_CHECK(total == Approx(1.0));
  CATCH_CHECK(sorted(d.release) == std::vector<worker_id>{0, 1, 2});
  CATCH_REQUIRE(d.has_timer());
  CATCH_CHECK(d.wake_at_s == Approx(agg.now() + 1.0));
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("wp_sgd: unrequested uploads are late, departures close the period",
                "[policies][wp_sgd]") {
  wp_sgd_policy p(wp_sgd_options{1.0, wp_weighting::uniform, 0.0, 0.0});
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  auto early = agg.push(0);  // before any request
  CATCH_CHECK(agg.is_dropped(agg.last_id(), drop_reason::late));
  CATCH_CHECK(early.release == std::vector<worker_id>{0});
  agg.fire_timer_at(1.0);
  agg.push(0);
  agg.push(1);
  auto d = agg.remove_workers({2});
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.reason == close_reason::membership);
  CATCH_CHECK(d.apply.size() == 2);
  for (auto& wc : d.apply)
    CATCH_CHECK(wc.weight == Approx(0.5));
  auto j = agg.add_workers({3});
  CATCH_CHECK(j.release == std::vector<worker_id>{3});
  CATCH_CHECK(agg.contract_held());
}

CATCH_TEST_CASE("wp_sgd: contraction needs a valid lr * l2, period must be positive",
                "[policies][wp_sgd]") {
  CATCH_CHECK_THROWS_AS(wp_sgd_policy(wp_sgd_options{1.0, wp_weighting::contraction, 0.05, 0.0}),
                        std::invalid_argument);
  CATCH_CHECK_THROWS_AS(wp_sgd_policy(wp_sgd_options{0.0, wp_weighting::samples, 0.0, 0.0}),
                        std::invalid_argument);
  CATCH_CHECK_NOTHROW(wp_sgd_policy(wp_sgd_options{1.0, wp_weighting::contraction, 0.05, 0.01}));
}

CATCH_TEST_CASE("wp_sgd: a worker that rejoins during an open period is not waited for",
                "[policies][wp_sgd]") {
  wp_sgd_policy p(wp_sgd_options{1.0, wp_weighting::samples, 0.0, 0.0});
  fake_aggregator agg(p, {0, 1, 2});
  agg.start();
  agg.fire_timer_at(1.0);  // asks 0, 1, 2
  CATCH_CHECK_FALSE(agg.push(0, 100).close);
  CATCH_CHECK_FALSE(agg.remove_workers({1}).close);  // 1 crashes before uploading
  auto back = agg.add_workers({1});                  // and rejoins: released, not asked
  CATCH_CHECK(sorted(back.release) == std::vector<worker_id>{1});
  CATCH_CHECK_FALSE(back.close);
  // The period closes on the uploads of the workers that were asked and are still live.
  auto d = agg.push(2, 100);
  CATCH_REQUIRE(d.close);
  CATCH_CHECK(d.apply.size() == 2);
  // The joiner took steps from the old model: it restarts on the new one, so that it answers the
  // next period's request (made for the new version).
  CATCH_CHECK(d.restart == std::vector<worker_id>{1});
  CATCH_CHECK(agg.job_version(1) == agg.version());
  // The rejoined worker is asked at the next period.
  auto next = agg.fire_timer_at(2.0);
  CATCH_CHECK(sorted(next.request_upload) == std::vector<worker_id>{0, 1, 2});
  CATCH_CHECK(agg.contract_held());
}
