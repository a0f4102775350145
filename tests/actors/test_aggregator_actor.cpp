// Deterministic tests of the aggregator actor, driven by CAF's test coordinator (see
// actor_harness.hpp). Nothing here sleeps or waits on wall time: a job runs only on settle()
// (sched.run()), a timer fires only on sched.advance_time().
//
// Weights start at [1, 2, 3] and lr is 0.5, and the gradients are chosen so that every expected
// weight is an exact binary fraction: weights are compared with ==, not approximately.

#include "actor_harness.hpp"  // torch and CAF first: glog's CHECK must not meet Catch's

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "policies/asgd_policy.hpp"
#include "policies/backup_policy.hpp"
#include "policies/local_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::actor_test;
using nlohmann::json;

namespace {

std::shared_ptr<round_policy> ssgd() {
  return std::make_shared<ssgd_policy>(ssgd_options{});
}
std::shared_ptr<round_policy> asgd() {
  return std::make_shared<asgd_policy>(asgd_options{});
}

std::string missing_between(const std::string& msg, const std::string& a, const std::string& b) {
  auto i = msg.find(a);
  if (i == std::string::npos)
    return "<no '" + a + "' in: " + msg + ">";
  i += a.size();
  auto k = msg.find(b, i);
  if (k == std::string::npos)
    return "<no '" + b + "' in: " + msg + ">";
  return msg.substr(i, k - i);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. ssgd: start conditions, the first jobs, and one round.

CATCH_TEST_CASE("ssgd: no job before every worker joined and the driver sent run",
                "[aggregator][ssgd]") {
  harness h;
  h.start(h.params(ssgd(), "ssgd", 2));

  h.join(0);
  h.settle();
  CATCH_CHECK(h.jobs(0).empty());
  h.join(1);
  h.settle();
  // Both joined, but the driver has not asked to run yet.
  CATCH_CHECK(h.jobs(0).empty());
  CATCH_CHECK(h.jobs(1).empty());
  CATCH_CHECK(h.w->events_of_type("start").empty());

  h.clock->set(0.25);
  h.run_request();
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 1);
  CATCH_REQUIRE(h.jobs(1).size() == 1);
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    auto& r = h.jobs(i)[0];
    CATCH_CHECK(r.reply);  // the answer to its join request
    CATCH_CHECK(r.job.version == 0);
    CATCH_CHECK_FALSE(r.job.stop);
    CATCH_CHECK_FALSE(r.job.restart);
    CATCH_CHECK(r.job.batch == h.batch);   // from the batch controller's plan
    CATCH_CHECK(r.job.sent_at_s == 0.25);  // read from the run clock
    CATCH_CHECK(values(r.job.weights.value) == w0_values);
  }
  // The fixed plan splits the data in two halves.
  CATCH_CHECK(h.jobs(0)[0].job.share_begin == 0.0);
  CATCH_CHECK(h.jobs(0)[0].job.share_end == 0.5);
  CATCH_CHECK(h.jobs(1)[0].job.share_begin == 0.5);
  CATCH_CHECK(h.jobs(1)[0].job.share_end == 1.0);
  CATCH_CHECK(h.w->events_of_type("start").size() == 1);
  CATCH_CHECK(h.w->outcomes.empty());
}

CATCH_TEST_CASE("ssgd: run before the joins waits for the last join", "[aggregator][ssgd]") {
  harness h;
  h.start(h.params(ssgd(), "ssgd", 2));
  h.run_request();
  h.join(1);
  h.settle();
  CATCH_CHECK(h.jobs(1).empty());  // worker 0 is still missing
  h.join(0);
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 1);
  CATCH_REQUIRE(h.jobs(1).size() == 1);
  CATCH_CHECK(h.jobs(0)[0].job.version == 0);
  CATCH_CHECK(h.jobs(1)[0].job.version == 0);
}

CATCH_TEST_CASE("ssgd: a round closes only when both pushed, with w - lr * sum(g) / sum(n)",
                "[aggregator][ssgd]") {
  harness h;
  start_two(h, ssgd(), "ssgd");

  h.clock->set(1.0);
  h.push(0, 0, 2, g0());
  h.settle();
  // One of two: nobody is released, nothing is applied.
  CATCH_CHECK(h.jobs(0).size() == 1);
  CATCH_CHECK(h.jobs(1).size() == 1);
  CATCH_CHECK(h.w->events_of_type("round").empty());

  h.clock->set(1.5);
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    auto& r = h.jobs(i)[1];
    CATCH_CHECK(r.reply);  // the answer to its push
    CATCH_CHECK(r.job.version == 1);
    CATCH_CHECK_FALSE(r.job.stop);
    CATCH_CHECK(r.job.batch == h.batch);
    CATCH_CHECK(values(r.job.weights.value) == ssgd_w1);
  }
  // Cross-check the expectation with the formula itself.
  auto expected = at::tensor({1.0f, 2.0f, 3.0f}) - 0.5 * (g0() + g1()) / 8.0;
  CATCH_CHECK(values(expected) == ssgd_w1);

  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 1);
  CATCH_CHECK(rounds[0]["version"] == 1);
  CATCH_CHECK(rounds[0]["samples"] == 8);
  CATCH_CHECK(rounds[0]["participants"] == json::array({0, 1}));
  CATCH_CHECK(rounds[0]["reason"] == "all_arrived");
  CATCH_CHECK(rounds[0]["t"] == 1.5);
  CATCH_CHECK(h.w->workers[0].errors.empty());
  CATCH_CHECK(h.w->workers[1].errors.empty());
}

CATCH_TEST_CASE("local_sgd: uploaded models are averaged by samples and jobs carry H steps",
                "[aggregator][local_sgd]") {
  harness h;
  start_two(h, std::make_shared<local_sgd_policy>(local_sgd_options{3, 0.0}), "local_sgd");
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_CHECK(h.jobs(i)[0].job.local_steps == 3);
    CATCH_CHECK(h.jobs(i)[0].job.local_lr == 0.5);  // train.lr of the harness
  }
  // Models, not gradients: 2 samples of [1, 1, 1] and 6 of [5, 9, -3] average to
  // 0.25 * [1, 1, 1] + 0.75 * [5, 9, -3] = [4, 7, -2]; the optimizer is not involved.
  h.push(0, 0, 2, at::tensor({1.0f, 1.0f, 1.0f}));
  h.push(1, 0, 6, at::tensor({5.0f, 9.0f, -3.0f}));
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(values(h.jobs(0)[1].job.weights.value) == std::vector<float>{4.0f, 7.0f, -2.0f});
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 1);
  CATCH_CHECK(rounds[0]["weights"] == json::array({0.25, 0.75}));
}

// ---------------------------------------------------------------------------------------------
// 2. Zero-copy, immutable snapshots.

CATCH_TEST_CASE("jobs of one version share one immutable snapshot, the next version is new storage",
                "[aggregator][zero-copy]") {
  harness h;
  auto p = h.params(ssgd(), "ssgd", 2);
  auto initial = p.initial_weights;
  h.start(std::move(p));
  h.join(0);
  h.join(1);
  h.run_request();
  h.settle();
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_REQUIRE(h.jobs(1).size() == 2);

  // Tensor handles (refcounted), not references: the job logs grow below.
  at::Tensor v0a = h.jobs(0)[0].job.weights.value;
  at::Tensor v0b = h.jobs(1)[0].job.weights.value;
  at::Tensor v1a = h.jobs(0)[1].job.weights.value;
  at::Tensor v1b = h.jobs(1)[1].job.weights.value;
  CATCH_CHECK(v0a.data_ptr() == v0b.data_ptr());  // one snapshot, sent by reference
  CATCH_CHECK(v1a.data_ptr() == v1b.data_ptr());
  CATCH_CHECK(v0a.data_ptr() != v1a.data_ptr());  // a new version is a new tensor...
  // ...and the master weights were updated elsewhere: the old snapshot still holds version 0.
  CATCH_CHECK(values(v0a) == w0_values);
  CATCH_CHECK(values(v1a) == ssgd_w1);
  // The caller's initial tensor is neither shared nor mutated.
  CATCH_CHECK(initial.data_ptr() != v0a.data_ptr());
  CATCH_CHECK(values(initial) == w0_values);

  // The final evaluation gets the same snapshot, again without a copy.
  h.stop_request();
  h.settle();
  CATCH_REQUIRE_FALSE(h.w->eval_requests.empty());
  CATCH_CHECK(h.w->eval_requests.back().version == 1);
  CATCH_CHECK(h.w->eval_requests.back().weights.value.data_ptr() == v1a.data_ptr());
}

// ---------------------------------------------------------------------------------------------
// 3. asgd.

CATCH_TEST_CASE("asgd: every push is applied at once and answered with the next version",
                "[aggregator][asgd]") {
  harness h;
  start_two(h, asgd(), "asgd");

  // w1 = [1,2,3] − 0.5 · [0.5, 1, −2] / 2 = [0.875, 1.75, 3.5]
  h.push(0, 0, 2, g0());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(1).size() == 1);  // the other worker is not disturbed
  CATCH_CHECK(h.jobs(0)[1].reply);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(values(h.jobs(0)[1].job.weights.value) == std::vector<float>{0.875f, 1.75f, 3.5f});

  // Worker 1 computed on version 0 (stale by one), applied as is:
  // w2 = w1 − 0.5 · [1.5, −1, 4] / 4 = [0.6875, 1.875, 3]
  h.push(1, 0, 4, g1());
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 2);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK(h.jobs(1)[1].job.version == 2);
  CATCH_CHECK(values(h.jobs(1)[1].job.weights.value) == std::vector<float>{0.6875f, 1.875f, 3.0f});

  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  CATCH_CHECK(rounds[0]["reason"] == "immediate");
  CATCH_CHECK(rounds[0]["staleness"] == json::array({0}));
  CATCH_CHECK(rounds[1]["staleness"] == json::array({1}));
  CATCH_CHECK(rounds[1]["participants"] == json::array({1}));
}

// ---------------------------------------------------------------------------------------------
// 4. Non-finite contributions.

CATCH_TEST_CASE("a NaN contribution is dropped, logged and counted, and counts as an empty arrival",
                "[aggregator][faults]") {
  harness h;
  start_two(h, ssgd(), "ssgd");

  const float nan = std::numeric_limits<float>::quiet_NaN();
  h.push(0, 0, 3, at::tensor({nan, 0.0f, 0.0f}));
  h.settle();
  auto dropped = h.w->events_of_type("dropped");
  CATCH_REQUIRE(dropped.size() == 1);
  CATCH_CHECK(dropped[0]["reason"] == "non_finite");
  CATCH_CHECK(dropped[0]["worker"] == 0);
  CATCH_CHECK(dropped[0]["samples"] == 3);
  // The policy saw worker 0 arrive (with nothing): the round waits only for worker 1.
  CATCH_CHECK(h.jobs(0).size() == 1);
  CATCH_CHECK(h.w->events_of_type("round").empty());

  h.push(1, 0, 6, g1());
  h.settle();
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 1);
  CATCH_CHECK(rounds[0]["participants"] == json::array({0, 1}));
  CATCH_CHECK(rounds[0]["worker_samples"] == json::array({0, 6}));
  // Only the finite gradient moved the model: w = w0 − 0.5 · g1 / 6, and nothing is NaN.
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  auto w = values(h.jobs(0)[1].job.weights.value);
  const std::vector<float> g1v{1.5f, -1.0f, 4.0f};
  for (std::size_t i = 0; i < 3; ++i)
    CATCH_CHECK(w[i] == Approx(w0_values[i] - 0.5f * g1v[i] / 6.0f));

  h.stop_request();
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto s = json::parse(h.w->outcomes[0].summary_json);
  CATCH_CHECK(s["samples_dropped"] == 3);
  CATCH_CHECK(s["samples_applied"] == 6);
  CATCH_CHECK(s["per_worker"][0]["dropped"]["non_finite"] == 3);
  CATCH_CHECK(s["per_worker"][1]["dropped"]["non_finite"] == 0);
}

CATCH_TEST_CASE(
  "a malformed push (wrong size, dtype or version) is rejected, booked as invalid, "
  "and the run goes on",
  "[aggregator][validation]") {
  harness h;
  start_two(h, ssgd(), "ssgd");
  // What a worker in another process might send: the model has 3 parameters.
  h.push(0, 0, 3, at::tensor({1.0f, 2.0f}));                  // too short
  h.push(0, 0, 4, at::tensor({1.0, 2.0, 3.0}, at::kDouble));  // wrong dtype
  h.push(0, 7, 5, g0());                                      // a version from the future
  h.settle();
  CATCH_REQUIRE(h.w->workers[0].errors.size() == 3);
  CATCH_CHECK(h.w->workers[0].errors[0].find("Float[2]") != std::string::npos);
  CATCH_CHECK(h.w->workers[0].errors[1].find("Double[3]") != std::string::npos);
  CATCH_CHECK(h.w->workers[0].errors[2].find("version 7") != std::string::npos);
  auto dropped = h.w->events_of_type("dropped");
  CATCH_REQUIRE(dropped.size() == 3);
  for (const auto& d : dropped) {
    CATCH_CHECK(d["reason"] == "invalid");
    CATCH_CHECK(d["worker"] == 0);
  }
  CATCH_CHECK(h.w->events_of_type("round").empty());  // nothing of it reached the policy
  // Good pushes from both still make a round.
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 1);
  CATCH_CHECK(rounds[0]["participants"] == json::array({0, 1}));
  h.stop_request();
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto s = json::parse(h.w->outcomes[0].summary_json);
  CATCH_CHECK(s["rejected_messages"] == 3);
  CATCH_CHECK(s["per_worker"][0]["dropped"]["invalid"] == 12);
  CATCH_CHECK(s["samples_applied"] == 8);
}

// ---------------------------------------------------------------------------------------------
// 5. End by max_samples, with the accounting identity.

CATCH_TEST_CASE("max_samples ends the run: stop jobs, stop requests, final evaluation, summary",
                "[aggregator][stop]") {
  harness h;
  start_two(h, ssgd(), "ssgd", /*max_samples=*/8);

  // Worker 0: 2 applied + 3 computed but never pushed = 5 computed.
  // Worker 1: 6 applied = 6 computed. (Dropped samples: the NaN test above.)
  h.w->workers[0].stats.samples_computed = 5;
  h.w->workers[0].stats.samples_in_flight = 3;
  h.w->workers[0].stats.jobs = 3;
  h.w->workers[1].stats.samples_computed = 6;
  h.w->workers[1].stats.jobs = 2;

  h.push(0, 0, 2, g0());
  h.settle();
  CATCH_CHECK(h.w->outcomes.empty());
  CATCH_CHECK(h.w->workers[0].stop_requests == 0);
  h.clock->set(2.0);
  h.push(1, 0, 6, g1());  // 8 samples applied: the limit
  h.settle();

  // Both were waiting for a reply to their push: each gets a stop job, not version 1.
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE_FALSE(h.jobs(i).empty());
    CATCH_CHECK(h.jobs(i).back().reply);
    CATCH_CHECK(h.jobs(i).back().job.stop);
    for (auto& r : h.jobs(i))
      CATCH_CHECK((r.job.stop || r.job.version == 0));
    CATCH_CHECK(h.w->workers[i].stop_requests == 1);
  }

  // The final evaluation saw version 1 (accuracy = first weight = 0.875).
  CATCH_REQUIRE_FALSE(h.w->eval_requests.empty());
  auto& last_eval = h.w->eval_requests.back();
  CATCH_CHECK(last_eval.version == 1);
  CATCH_CHECK(last_eval.samples_applied == 8);
  CATCH_CHECK(values(last_eval.weights.value) == ssgd_w1);

  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 0);
  CATCH_CHECK(o.message == "max_samples reached");
  CATCH_REQUIRE(h.w->summaries.size() == 1);
  CATCH_CHECK(h.w->summaries[0] == o.summary_json);  // the recorder wrote what the driver got

  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["samples_applied"] == 8);
  CATCH_CHECK(s["rounds"] == 1);
  CATCH_CHECK(s["version"] == 1);
  CATCH_CHECK(s["exit_code"] == 0);
  CATCH_CHECK(s["elapsed_s"] == 2.0);
  CATCH_CHECK(s["final_accuracy"] == 0.875);
  CATCH_CHECK(s["samples_computed"] == 11);
  CATCH_CHECK(s["samples_dropped"] == 0);
  CATCH_CHECK(s["samples_in_flight_at_end"] == 3);
  CATCH_CHECK(s["samples_computed"].get<std::uint64_t>() ==
              s["samples_applied"].get<std::uint64_t>() +
                s["samples_dropped"].get<std::uint64_t>() +
                s["samples_in_flight_at_end"].get<std::uint64_t>());
  CATCH_CHECK(s["per_worker"][0]["reported"] == true);
  CATCH_CHECK(s["per_worker"][1]["reported"] == true);
  CATCH_CHECK(s["errors"].empty());
  CATCH_CHECK(h.w->events_of_type("end").size() == 1);
  // The aggregator is gone once the outcome is out.
  CATCH_CHECK(h.w->aggregator_down);
}

// ---------------------------------------------------------------------------------------------
// 6. Join deadline, in simulated time.

CATCH_TEST_CASE("a worker that never joins fails the run at the join deadline",
                "[aggregator][deadline]") {
  harness h;
  h.start(h.params(ssgd(), "ssgd", 2));  // request_timeout_s = 10
  h.join(0);
  h.run_request();
  h.settle();
  CATCH_CHECK(h.jobs(0).empty());

  // Just before the deadline nothing happens...
  h.sched.advance_time(std::chrono::milliseconds(9999));
  h.settle();
  CATCH_CHECK(h.w->outcomes.empty());
  CATCH_CHECK(h.jobs(0).empty());

  // ...at the deadline the run fails, naming the worker that is missing.
  h.sched.advance_time(std::chrono::milliseconds(1));
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 1);
  CATCH_CHECK(missing_between(o.message, "workers ", " did not join") == "1");
  // Worker 0 was waiting on its join: it is told to stop and asked for its stats.
  CATCH_REQUIRE(h.jobs(0).size() == 1);
  CATCH_CHECK(h.jobs(0)[0].job.stop);
  CATCH_CHECK(h.w->workers[0].stop_requests == 1);
  CATCH_CHECK(h.w->workers[1].stop_requests == 0);
  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["exit_code"] == 1);
  CATCH_CHECK(s["rounds"] == 0);
}

// ---------------------------------------------------------------------------------------------
// 7. Worker failure.

CATCH_TEST_CASE("worker_failure_msg ends the run with exit code 1 naming the worker",
                "[aggregator][faults]") {
  harness h;
  start_two(h, ssgd(), "ssgd");
  caf::anon_send(h.workers[1], worker_failure_msg{1, "boom"});
  h.settle();

  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 1);
  CATCH_CHECK(o.message.find("worker 1") != std::string::npos);
  CATCH_CHECK(o.message.find("boom") != std::string::npos);
  CATCH_CHECK(h.w->workers[0].stop_requests == 1);
  CATCH_CHECK(h.w->workers[1].stop_requests == 0);  // failed: not asked for stats
  auto failed = h.w->events_of_type("worker_failed");
  CATCH_REQUIRE(failed.size() == 1);
  CATCH_CHECK(failed[0]["worker"] == 1);
  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["exit_code"] == 1);
  CATCH_CHECK(s["per_worker"][1]["failed"] == true);
  CATCH_CHECK(s["per_worker"][0]["failed"] == false);
  CATCH_REQUIRE(s["errors"].size() == 1);
  CATCH_CHECK(s["errors"][0] == "worker 1: boom");
  CATCH_CHECK(h.w->aggregator_down);
}

// ---------------------------------------------------------------------------------------------
// 8. Stop from the driver (and progress lines before it).

CATCH_TEST_CASE("the driver's stop ends the run with exit 0 and later pushes count as in flight",
                "[aggregator][stop]") {
  harness h;
  start_two(h, ssgd(), "ssgd");
  h.w->workers[0].stats.samples_computed = 2;
  h.w->workers[1].stats.samples_computed = 6;

  h.clock->set(0.5);
  h.push(0, 0, 2, g0());
  h.settle();

  // A progress line after progress_every_s (1 s) of simulated CAF time.
  CATCH_CHECK(h.w->progress.empty());
  h.sched.advance_time(std::chrono::seconds(1));
  h.settle();
  CATCH_REQUIRE(h.w->progress.size() == 1);
  auto& pm = h.w->progress[0];
  CATCH_CHECK(pm.elapsed_s == 0.5);
  CATCH_CHECK(pm.samples_applied == 0);
  CATCH_CHECK(pm.rounds == 0);
  CATCH_CHECK(pm.worker_rates == std::vector<double>{4.0, 0.0});  // 2 samples in 0.5 s

  // Stop, and worker 1's push lands after it (both are queued before the jobs run; the
  // aggregator's mailbox is FIFO, so the stop is handled first).
  h.clock->set(0.75);
  h.stop_request();
  h.push(1, 0, 6, g1());
  h.settle();

  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 0);
  CATCH_CHECK(o.message == "stopped by request");
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 2);
    CATCH_CHECK(h.jobs(i)[1].reply);
    CATCH_CHECK(h.jobs(i)[1].job.stop);
    CATCH_CHECK(h.w->workers[i].stop_requests == 1);
  }
  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["exit_code"] == 0);
  CATCH_CHECK(s["end_reason"] == "stopped by request");
  CATCH_CHECK(s["elapsed_s"] == 0.75);
  CATCH_CHECK(s["rounds"] == 0);
  CATCH_CHECK(s["samples_applied"] == 0);
  CATCH_CHECK(s["samples_in_flight_at_end"] == 8);  // 2 pending + 6 after the end
  CATCH_CHECK(s["samples_computed"] == 8);
  CATCH_CHECK(s["final_accuracy"] == 1.0);  // version 0 evaluated
  CATCH_CHECK(h.w->summaries.size() == 1);
  CATCH_CHECK(h.w->aggregator_down);
}

// ---------------------------------------------------------------------------------------------
// Regression tests of two aggregator bugs found by these tests (fixed in deliver_outcome).

// Was a bug (actors/aggregator_actor.cpp, deliver_outcome/quit_all): when the run ends before any
// driver sent (run_atom) — e.g. a worker fails during setup, before training_run's
// send(run_atom) is handled — s.driver is null, the outcome is dropped and the aggregator quits.
// The driver's run_atom then goes to a dead actor and all it learns is a down_msg
// ("aggregator terminated unexpectedly"), not the worker's error. Fixed: the aggregator keeps the
// outcome and answers the next run_atom with it before quitting.
CATCH_TEST_CASE("a failure before the driver's run still reaches the driver",
                "[aggregator][faults]") {
  harness h;
  h.start(h.params(ssgd(), "ssgd", 2));
  h.join(0);
  caf::anon_send(h.workers[1], worker_failure_msg{1, "setup failed: boom"});
  h.settle();
  h.run_request();  // the driver's run_atom, after the failure was handled
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  CATCH_CHECK(h.w->outcomes[0].exit_code == 1);
  CATCH_CHECK(h.w->outcomes[0].message.find("boom") != std::string::npos);
}

// Was a bug (actors/aggregator_actor.cpp, deliver_outcome, the error branch of the summary
// request): exit_code and end_reason are updated after `json` was rendered, and quit_all(json)
// hands the driver the stale text, so summary_json says exit_code 0 while the outcome says 1. When
// the recorder cannot write, that text is the only copy of the summary. Fixed: it is rendered
// again, quit_all(self->state.acct.summary_json()).
CATCH_TEST_CASE("when the summary cannot be written the outcome and its summary agree",
                "[aggregator][stop]") {
  harness h;
  start_two(h, ssgd(), "ssgd");
  h.w->summary_fails = true;
  h.stop_request();
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 1);
  CATCH_CHECK(o.message.find("writing summary failed") != std::string::npos);
  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["exit_code"] == 1);
  CATCH_CHECK(s["end_reason"] == o.message);
}

// ---------------------------------------------------------------------------------------------
// Restarts (backup policy): the restart reaches a computing worker unsolicited, a push that
// crossed it is dropped as stale, and discarded samples are booked as dropped (restarted).

CATCH_TEST_CASE(
  "backup: restart is sent unsolicited, a crossing push is dropped as stale, "
  "discarded samples count as dropped",
  "[aggregator][backup]") {
  harness h;
  backup_options o;
  o.k = 1;
  start_two(h, std::make_shared<backup_policy>(o), "backup", /*max_samples=*/4);

  // Worker 0 closes version 0 -> 1 alone; worker 1, still computing, is restarted.
  h.push(0, 0, 2, g0());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0).back().reply);
  CATCH_CHECK_FALSE(h.jobs(0).back().job.restart);
  CATCH_CHECK(h.jobs(0).back().job.version == 1);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK_FALSE(h.jobs(1).back().reply);  // it had no pending push: sent as a message
  CATCH_CHECK(h.jobs(1).back().job.restart);
  CATCH_CHECK(h.jobs(1).back().job.version == 1);
  CATCH_CHECK(h.w->events_of_type("restart").size() == 1);

  // Worker 1's push on version 0 had crossed the restart: dropped as stale, never applied, and
  // the push is answered with the current version.
  h.push(1, 0, 6, g1());
  h.settle();
  auto dropped = h.w->events_of_type("dropped");
  CATCH_REQUIRE(dropped.size() == 1);
  CATCH_CHECK(dropped[0]["reason"] == "stale");
  CATCH_CHECK(dropped[0]["worker"] == 1);
  CATCH_CHECK(h.w->events_of_type("round").size() == 1);
  CATCH_CHECK(h.jobs(1).back().reply);
  CATCH_CHECK(h.jobs(1).back().job.version == 1);

  // Worker 1 threw away 3 samples of a job on the restart; worker 0 ends the run.
  h.w->workers[0].stats.samples_computed = 4;
  h.w->workers[1].stats.samples_computed = 9;  // 6 pushed (stale) + 3 discarded
  h.w->workers[1].stats.samples_discarded = 3;
  h.push(0, 1, 2, g0());
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto s = json::parse(h.w->outcomes[0].summary_json);
  CATCH_CHECK(s["samples_applied"] == 4);
  CATCH_CHECK(s["per_worker"][1]["dropped"]["stale"] == 6);
  CATCH_CHECK(s["per_worker"][1]["dropped"]["restarted"] == 3);
  CATCH_CHECK(s["samples_computed"].get<std::uint64_t>() ==
              s["samples_applied"].get<std::uint64_t>() +
                s["samples_dropped"].get<std::uint64_t>() +
                s["samples_in_flight_at_end"].get<std::uint64_t>());
}

// ---------------------------------------------------------------------------------------------
// Link recovery: probes for unanswered pushes, pushes taken in order, duplicates refused.

CATCH_TEST_CASE(
  "link recovery: a push after a lost one waits for it, probes tell missing from "
  "pending from answered",
  "[aggregator][link]") {
  harness h;
  start_two(h, asgd(), "asgd");
  // Worker 0's push 1 was lost on the way; push 2 arrives first and is held, unanswered.
  h.push(0, 0, 2, g0(), 2);
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 1);
  CATCH_CHECK(h.w->events_of_type("round").empty());
  h.probe(0, 1);
  h.probe(0, 2);
  h.settle();
  auto& probes = h.w->workers[0].probes;
  CATCH_REQUIRE(probes.size() == 2);
  CATCH_CHECK(probes[0].seq == 1);
  CATCH_CHECK(probes[0].status == static_cast<std::uint8_t>(probe_status::missing));
  CATCH_CHECK(probes[1].status == static_cast<std::uint8_t>(probe_status::pending));
  auto missing = h.w->events_of_type("push_missing");
  CATCH_REQUIRE(missing.size() == 1);
  CATCH_CHECK(missing[0]["worker"] == 0);
  CATCH_CHECK(missing[0]["seq"] == 1);

  // Push 1 is sent again: both are taken, in the order they were made, and answered in order.
  h.push(0, 0, 6, g1(), 1);
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 3);
  CATCH_CHECK(h.jobs(0)[1].job.answers == 1);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(h.jobs(0)[2].job.answers == 2);
  CATCH_CHECK(h.jobs(0)[2].job.version == 2);
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  CATCH_CHECK(rounds[0]["samples"] == 6);  // push 1 (6 samples) first
  CATCH_CHECK(rounds[1]["samples"] == 2);

  // The answer to push 2 was lost: a probe gets it again.
  h.probe(0, 2);
  h.settle();
  CATCH_REQUIRE(probes.size() == 3);
  CATCH_CHECK(probes[2].status == static_cast<std::uint8_t>(probe_status::answered));
  CATCH_CHECK(probes[2].job.answers == 2);
  CATCH_CHECK(probes[2].job.version == 2);
  CATCH_CHECK(values(probes[2].job.weights.value) == values(h.jobs(0)[2].job.weights.value));
  CATCH_CHECK(h.w->events_of_type("answer_resent").size() == 1);

  // A copy of push 2 arriving late is refused, not applied twice.
  h.push(0, 0, 2, g0(), 2);
  h.settle();
  CATCH_REQUIRE(h.w->workers[0].errors.size() == 1);
  CATCH_CHECK(h.w->workers[0].errors[0].find("duplicate push 2 from worker 0") !=
              std::string::npos);
  CATCH_CHECK(h.w->events_of_type("round").size() == 2);
}

CATCH_TEST_CASE("link recovery: a push held behind a lost one is in flight at the end",
                "[aggregator][link]") {
  harness h;
  start_two(h, asgd(), "asgd");
  h.push(0, 0, 2, g0(), 2);  // push 1 never comes
  h.settle();
  h.stop_request();
  h.settle();
  // The held push is answered with a stop, and the worker is asked for its stats.
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].job.stop);
  CATCH_CHECK(h.jobs(0)[1].job.answers == 2);
  CATCH_CHECK(h.w->events_of_type("round").empty());
}

CATCH_TEST_CASE("a push from an actor that is not the worker's live incarnation is refused",
                "[aggregator][link]") {
  harness h;
  start_two(h, asgd(), "asgd");
  // An old incarnation of worker 0 (replaced, its last push still in the mailbox) pushes.
  auto stale = h.sys.spawn(fake_worker, h.w, worker_id{0}, h.agg);
  contribution_msg c;
  c.worker = 0;
  c.samples = 2;
  c.payload.value = g0();
  caf::anon_send(stale, std::move(c));
  h.settle();
  CATCH_REQUIRE(h.w->workers[0].errors.size() == 1);
  CATCH_CHECK(h.w->workers[0].errors[0].find("replaced incarnation of worker 0") !=
              std::string::npos);
  CATCH_CHECK(h.w->events_of_type("round").empty());
  caf::anon_send_exit(stale, caf::exit_reason::kill);
  h.settle();
}

CATCH_TEST_CASE("a resync request is refused where workers keep no replica of the optimizer",
                "[aggregator][replica]") {
  harness h;
  start_two(h, ssgd(), "ssgd");  // tensors through the aggregator: no all-reduce, no replicas
  const auto jobs_before = h.jobs(0).size();
  caf::anon_send(h.workers.at(0), resync_atom::value);
  h.settle();
  CATCH_REQUIRE(h.w->workers[0].errors.size() == 1);
  CATCH_CHECK(h.w->workers[0].errors[0].find("resync: worker 0 is not a live replica") !=
              std::string::npos);
  CATCH_CHECK(h.jobs(0).size() == jobs_before);
  CATCH_CHECK(h.w->events_of_type("resync").empty());
  // Jobs of a run without replicas carry the weights and never ask for a step.
  for (const auto& r : h.jobs(0)) {
    CATCH_CHECK(r.job.weights.value.defined());
    CATCH_CHECK_FALSE(r.job.apply_sum);
    CATCH_CHECK_FALSE(r.job.replica);
  }
}
