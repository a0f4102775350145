// Policy state for checkpoints: save → restore round trips (a restored policy decides exactly
// as the original from then on), the defaults of stateless policies, and clear errors on an
// incomplete or mismatched state.

#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "policies/abs_policy.hpp"
#include "policies/abs_schedule.hpp"
#include "policies/dbs_batch_policy.hpp"
#include "policies/policy_registry.hpp"

using namespace hetsgd;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

CATCH_TEST_CASE("abs schedule: a restored schedule continues exactly like the original",
                "[policy_state]") {
  abs_k_schedule a(8, 2, 3);
  const std::vector<double> losses = {2.0, 1.9, 1.5, 1.2, 0.9, 0.7, 0.5, 0.45, 0.3, 0.2};
  for (std::size_t i = 0; i < 5; ++i)
    a.on_round(losses[i]);
  CATCH_REQUIRE(a.k() > 2);  // K moved, so the round trip has something to carry
  abs_k_schedule b(8, 2, 3);
  b.restore_state(a.save_state());
  CATCH_CHECK(b.k() == a.k());
  CATCH_CHECK(b.rounds() == a.rounds());
  CATCH_CHECK(b.initial_loss() == a.initial_loss());
  for (std::size_t i = 5; i < losses.size(); ++i) {
    a.on_round(losses[i]);
    b.on_round(losses[i]);
    CATCH_CHECK(b.k() == a.k());
    CATCH_CHECK(b.tau_max() == a.tau_max());
  }
  CATCH_CHECK(b.save_state() == a.save_state());
}

CATCH_TEST_CASE("abs policy: save_state carries the K schedule through restore_state",
                "[policy_state]") {
  abs_options o;
  o.workers = 4;
  o.k0 = 1;
  o.every_rounds = 1;
  abs_policy a(o);
  policy_context ctx;
  a.on_round_applied(ctx, 4.0);
  a.on_round_applied(ctx, 1.0);  // K = ⌈1 · √(4 / 1)⌉ = 2
  CATCH_REQUIRE(a.schedule().k() == 2);
  abs_policy b(o);
  b.restore_state(a.save_state());
  CATCH_CHECK(b.schedule().k() == 2);
  CATCH_CHECK(b.schedule().rounds() == 2);
  CATCH_CHECK(b.save_state() == a.save_state());
}

CATCH_TEST_CASE("abs schedule: an incomplete or out-of-range state is refused by name",
                "[policy_state]") {
  abs_k_schedule a(4, 1, 2);
  auto s = a.save_state();
  s.erase("abs.k_target");
  CATCH_CHECK(error_of([&] { abs_k_schedule(4, 1, 2).restore_state(s); }) ==
              "abs: saved state has no \"abs.k_target\"");
  s = a.save_state();
  s["abs.k_target"] = 9.0;  // beyond every worker count seen
  CATCH_CHECK(error_of([&] { abs_k_schedule(4, 1, 2).restore_state(s); }).find("out of range") !=
              std::string::npos);
}

CATCH_TEST_CASE("dbs: a restored policy starts from the saved plan and re-partitions from there",
                "[policy_state]") {
  dbs_options o;
  o.global_batch = 100;
  o.dataset_size = 1000;  // K = 10 iterations per epoch
  dbs_batch_policy a(o, 2);
  a.initial(2);
  // Epoch 0: worker 1 is three times slower.
  std::optional<std::vector<batch_assignment>> plan;
  for (int it = 0; it < 10; ++it) {
    a.on_report({0, 50, 0.1});
    plan = a.on_report({1, 50, 0.3});
  }
  CATCH_REQUIRE(plan);
  CATCH_REQUIRE(a.current_plan()[0].batch == 75);

  dbs_batch_policy b(o, 2);
  b.restore_state(a.save_state());
  auto start = b.initial(2);
  CATCH_REQUIRE(start.size() == 2);
  CATCH_CHECK(start[0].batch == 75);
  CATCH_CHECK(start[1].batch == 25);
  CATCH_CHECK(start[0].share == a.current_plan()[0].share);
  CATCH_CHECK(b.epochs_completed() == 1);
  // The next epoch measures the same speeds on both: the same fixed point.
  for (int it = 0; it < 10; ++it) {
    a.on_report({0, 75, 0.15});
    b.on_report({0, 75, 0.15});
    auto pa = a.on_report({1, 25, 0.15});
    auto pb = b.on_report({1, 25, 0.15});
    CATCH_CHECK(pa.has_value() == pb.has_value());
  }
  CATCH_CHECK(b.current_plan()[0].batch == a.current_plan()[0].batch);
  CATCH_CHECK(b.epochs_completed() == 2);
}

CATCH_TEST_CASE("dbs: a state for another worker count or with a zero batch is refused",
                "[policy_state]") {
  dbs_options o;
  o.global_batch = 90;
  o.dataset_size = 900;
  dbs_batch_policy three(o, 3);
  three.initial(3);
  dbs_batch_policy two(o, 2);
  CATCH_CHECK(error_of([&] { two.restore_state(three.save_state()); }) ==
              "dbs: saved state is for 3.000000 workers, the run has 2");
  auto s = three.save_state();
  s["plan.batch.1"] = 0.0;
  CATCH_CHECK(error_of([&] { dbs_batch_policy(o, 3).restore_state(s); }).find("worker 1 is 0") !=
              std::string::npos);
  s["plan.batch.1"] = 30.0;
  s.erase("plan.batch.2");
  CATCH_CHECK(error_of([&] { dbs_batch_policy(o, 3).restore_state(s); }) ==
              "dbs: saved state has no \"plan.batch.2\"");
}

CATCH_TEST_CASE("policies without state across rounds save nothing and accept nothing",
                "[policy_state]") {
  round_policy_options o;
  o.abs.workers = 4;
  for (auto name : {"ssgd", "asgd", "ssp", "backup", "local_sgd", "wp_sgd", "abs_sgd", "od_sgd"}) {
    auto p = make_round_policy(name, o);
    CATCH_CHECK(p->save_state().empty());
    p->restore_state({});  // a no-op
  }
  auto fixed = make_batch_policy("fixed", 64, dbs_options{}, 4);
  CATCH_CHECK(fixed->save_state().empty());
}
