// Deterministic tests of the aggregator's per-policy behaviour (see actor_harness.hpp): the worker
// mode and its fields in every job, two outstanding pushes per worker (od_sgd), upload requests
// and their order after releases (abs_sgd), policy annotations in round events, and batch plans
// that run out after an epoch (DBS). Nothing sleeps: jobs run on settle(), timers and request
// deadlines fire on sched.advance_time().
//
// Weights start at [1, 2, 3] and lr is 0.5; the gradients keep every expected weight an exact
// binary fraction, so weights are compared with ==.

#include "actor_harness.hpp"  // torch and CAF first: glog's CHECK must not meet Catch's

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "policies/abs_policy.hpp"
#include "policies/abs_sgd_policy.hpp"
#include "policies/dbs_batch_policy.hpp"
#include "policies/od_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"

using namespace hetsgd;
using namespace hetsgd::actor_test;
using nlohmann::json;

namespace {

std::uint8_t as_int(worker_mode m) {
  return static_cast<std::uint8_t>(m);
}

std::shared_ptr<round_policy> ssgd() {
  return std::make_shared<ssgd_policy>(ssgd_options{});
}

std::shared_ptr<round_policy> od_sgd(std::uint64_t warmup, double local_lr = -1.0) {
  od_sgd_options o;
  o.warmup_rounds = warmup;
  o.local_lr = local_lr;
  return std::make_shared<od_sgd_policy>(o);
}

std::shared_ptr<round_policy> abs_sgd(abs_sgd_trigger trigger, double period_s = 0.5) {
  abs_sgd_options o;
  o.trigger = trigger;
  o.period_s = period_s;
  return std::make_shared<abs_sgd_policy>(o);
}

/// abs with N = 2, K⁰ = 1 (τ_max = 2), U = 3 local steps, η_g = 1.
std::shared_ptr<abs_policy> abs_u3() {
  abs_options o;
  o.workers = 2;
  o.k0 = 1;
  o.every_rounds = 10;
  o.local_steps = 3;
  o.global_lr = 1.0;
  return std::make_shared<abs_policy>(o);
}

/// Types of the recorded events, in order, keeping only those in `keep`.
std::vector<std::string> event_sequence(const harness& h, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (auto& line : h.w->events) {
    auto type = json::parse(line).value("type", "");
    if (std::find(keep.begin(), keep.end(), type) != keep.end())
      out.push_back(type);
  }
  return out;
}

batch_plan_msg plan(std::vector<std::int64_t> batches, std::vector<double> shares,
                    std::int64_t rounds) {
  batch_plan_msg p;
  p.batches = std::move(batches);
  p.shares = std::move(shares);
  p.rounds = rounds;
  return p;
}

// A batch controller under the test's control: it answers the first (batch_atom) request with
// `initial`, holds every (plan_atom) request, and answers the held ones with the batch_plan_msg
// the test sends it.
struct gated_controller_state {
  std::vector<caf::typed_response_promise<batch_plan_msg>> held;
  static inline const char* name = "test.gated_controller";
};

struct gate_log {
  int plan_requests = 0;
};

caf::behavior gated_controller(caf::stateful_actor<gated_controller_state>* self,
                               std::shared_ptr<gate_log> log, batch_plan_msg initial) {
  return {
    [=](batch_atom, std::uint64_t) -> batch_plan_msg { return initial; },
    [=](plan_atom) -> caf::result<batch_plan_msg> {
      log->plan_requests += 1;
      auto rp = self->make_response_promise<batch_plan_msg>();
      self->state.held.push_back(rp);
      return rp;
    },
    [=](batch_plan_msg& p) {
      for (auto& rp : self->state.held)
        rp.deliver(p);
      self->state.held.clear();
    },
    [=](const throughput_msg&) {},
  };
}

/// Swaps a gated controller into `h`; its first plan: batches 3 and 5, one round per plan.
std::shared_ptr<gate_log> use_gated_controller(harness& h) {
  auto log = std::make_shared<gate_log>();
  h.use_controller(h.sys.spawn(gated_controller, log, plan({3, 5}, {0.375, 0.625}, 1)));
  return log;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. The worker mode and its fields in every job.

CATCH_TEST_CASE("jobs carry the policy's worker mode as an integer", "[aggregator][modes]") {
  struct expectation {
    std::string name;
    std::shared_ptr<round_policy> policy;
    worker_mode mode;
    int mode_int;  // the wire value the worker casts back
  };
  std::vector<expectation> cases{
    {"ssgd", ssgd(), worker_mode::push_and_wait, 0},
    {"abs", abs_u3(), worker_mode::local_steps, 1},
    {"abs_sgd", abs_sgd(abs_sgd_trigger::period), worker_mode::continuous, 2},
    {"od_sgd", od_sgd(0), worker_mode::delayed_local, 3},
  };
  for (auto& c : cases) {
    CATCH_INFO("policy " << c.name);
    harness h;
    start_two(h, c.policy, c.name);
    for (worker_id i = 0; i < 2; ++i) {
      CATCH_INFO("worker " << i);
      auto& j = h.jobs(i)[0].job;
      CATCH_CHECK(j.mode == as_int(c.mode));
      CATCH_CHECK(static_cast<int>(j.mode) == c.mode_int);
      // Fields of the other modes stay at their defaults.
      if (c.mode != worker_mode::local_steps) {
        CATCH_CHECK(j.local_steps == 0);
        CATCH_CHECK_FALSE(j.upload_delta);
      }
      if (c.mode != worker_mode::delayed_local)
        CATCH_CHECK_FALSE(j.delayed);
      if (c.mode == worker_mode::push_and_wait || c.mode == worker_mode::continuous)
        CATCH_CHECK(j.local_lr == 0.0);
    }
  }
}

CATCH_TEST_CASE(
  "abs: jobs carry U local steps, upload_delta and the aggregator lr, also "
  "releases and restarts",
  "[aggregator][modes][abs]") {
  harness h;
  start_two(h, abs_u3(), "abs");
  for (worker_id i = 0; i < 2; ++i) {
    auto& j = h.jobs(i)[0].job;
    CATCH_CHECK(j.mode == as_int(worker_mode::local_steps));
    CATCH_CHECK(j.local_steps == 3);
    CATCH_CHECK(j.upload_delta);     // payload model_delta
    CATCH_CHECK(j.local_lr == 0.5);  // train.lr of the harness
    CATCH_CHECK_FALSE(j.delayed);
  }

  // K = 1: each upload of worker 0 closes a round, x ← x + 1 · Δ.
  const auto delta = [] { return at::tensor({0.5f, -1.0f, 0.25f}); };
  h.push(0, 0, 2, delta());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  auto& r1 = h.jobs(0)[1];
  CATCH_CHECK(r1.reply);
  CATCH_CHECK(r1.job.version == 1);
  CATCH_CHECK(values(r1.job.weights.value) == std::vector<float>{1.5f, 1.0f, 3.25f});
  CATCH_CHECK(r1.job.local_steps == 3);
  CATCH_CHECK(r1.job.upload_delta);
  CATCH_CHECK(r1.job.local_lr == 0.5);
  CATCH_CHECK(h.jobs(1).size() == 1);  // 1 version behind, τ_max = 2: not restarted

  h.push(0, 1, 2, delta());
  h.settle();
  CATCH_CHECK(h.jobs(1).size() == 1);  // 2 behind: still within τ_max
  h.push(0, 2, 2, delta());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 4);
  CATCH_CHECK(values(h.jobs(0)[3].job.weights.value) == std::vector<float>{2.5f, -1.0f, 3.75f});
  // 3 behind > τ_max: worker 1 is restarted, unsolicited, with the same local-steps fields.
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  auto& rs = h.jobs(1)[1];
  CATCH_CHECK_FALSE(rs.reply);
  CATCH_CHECK(rs.job.restart);
  CATCH_CHECK(rs.job.version == 3);
  CATCH_CHECK(rs.job.mode == as_int(worker_mode::local_steps));
  CATCH_CHECK(rs.job.local_steps == 3);
  CATCH_CHECK(rs.job.upload_delta);
  CATCH_CHECK(rs.job.local_lr == 0.5);
  CATCH_CHECK(values(rs.job.weights.value) == std::vector<float>{2.5f, -1.0f, 3.75f});
}

CATCH_TEST_CASE(
  "od_sgd: jobs are delayed from the warm-up on, local_lr is eta_l over the live "
  "workers",
  "[aggregator][modes][od_sgd]") {
  harness h;
  start_two(h, od_sgd(/*warmup=*/1, /*local_lr=*/0.25), "od_sgd");
  for (worker_id i = 0; i < 2; ++i) {
    auto& j = h.jobs(i)[0].job;
    CATCH_CHECK(j.mode == as_int(worker_mode::delayed_local));
    CATCH_CHECK_FALSE(j.delayed);      // version 0 < 1 warm-up round
    CATCH_CHECK(j.local_lr == 0.125);  // 0.25 / 2 live workers
    CATCH_CHECK(j.local_steps == 0);
    CATCH_CHECK_FALSE(j.upload_delta);
  }

  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 2);
    auto& j = h.jobs(i)[1].job;
    CATCH_CHECK(j.version == 1);
    CATCH_CHECK(j.delayed);  // version 1 >= 1: the warm-up is over
    CATCH_CHECK(j.local_lr == 0.125);
    CATCH_CHECK(values(j.weights.value) == ssgd_w1);
  }

  // Worker 0 pushes for round 1, then worker 1 dies: the round closes over worker 0 alone and
  // its next job divides η_l by 1 live worker.
  h.push(0, 1, 2, g0());
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 2);
  caf::anon_send_exit(h.workers[1], caf::exit_reason::kill);
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 3);
  auto& j = h.jobs(0)[2].job;
  CATCH_CHECK(j.version == 2);
  CATCH_CHECK(j.delayed);
  CATCH_CHECK(j.local_lr == 0.25);
  // w2 = w1 − 0.5 · g0 / 2
  CATCH_CHECK(values(j.weights.value) == std::vector<float>{0.75f, 1.75f, 3.375f});
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  CATCH_CHECK(rounds[1]["reason"] == "membership");
  CATCH_CHECK(rounds[1]["participants"] == json::array({0}));
}

CATCH_TEST_CASE("od_sgd: a negative local_lr means the aggregator lr",
                "[aggregator][modes][od_sgd]") {
  harness h;
  start_two(h, od_sgd(/*warmup=*/0, /*local_lr=*/-1.0), "od_sgd");
  for (worker_id i = 0; i < 2; ++i) {
    auto& j = h.jobs(i)[0].job;
    CATCH_CHECK(j.delayed);           // no warm-up: delayed from version 0
    CATCH_CHECK(j.local_lr == 0.25);  // lr 0.5 / 2 live workers
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Two outstanding pushes per worker (od_sgd): each release answers the oldest.

CATCH_TEST_CASE(
  "od_sgd: a worker one version ahead has two pushes outstanding and each release "
  "answers the oldest",
  "[aggregator][od_sgd]") {
  harness h;
  start_two(h, od_sgd(/*warmup=*/0), "od_sgd");

  // Worker 0 pushes iteration 0 and, without waiting, iteration 1 (tagged version 1).
  h.clock->set(1.0);
  h.push(0, 0, 2, g0());
  h.push(0, 1, 2, g0());
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 1);
  CATCH_CHECK(h.jobs(1).size() == 1);
  CATCH_CHECK(h.w->events_of_type("round").empty());
  CATCH_CHECK(h.w->events_of_type("dropped").empty());

  // Worker 1's push closes round 0: worker 0 gets ONE reply, to its push of version 0.
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].reply);
  CATCH_CHECK(h.jobs(0)[1].push_version == 0);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(h.jobs(0)[1].job.delayed);
  CATCH_CHECK(values(h.jobs(0)[1].job.weights.value) == ssgd_w1);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK(h.jobs(1)[1].push_version == 0);
  CATCH_CHECK(h.jobs(1)[1].job.version == 1);

  // Worker 1 pushes version 1: round 1 closes with worker 0's early push, and the reply to that
  // push (its second) comes with version 2.
  h.push(1, 1, 6, g1());
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 3);
  CATCH_CHECK(h.jobs(0)[2].reply);
  CATCH_CHECK(h.jobs(0)[2].push_version == 1);
  CATCH_CHECK(h.jobs(0)[2].job.version == 2);
  CATCH_CHECK(values(h.jobs(0)[2].job.weights.value) == ssgd_w2);
  CATCH_REQUIRE(h.jobs(1).size() == 3);
  CATCH_CHECK(h.jobs(1)[2].push_version == 1);
  CATCH_CHECK(h.jobs(1)[2].job.version == 2);

  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  CATCH_CHECK(rounds[0]["version"] == 1);
  CATCH_CHECK(rounds[0]["participants"] == json::array({0, 1}));
  CATCH_CHECK(rounds[0]["ahead"] == json::array({0, 0}));
  CATCH_CHECK(rounds[1]["version"] == 2);
  CATCH_CHECK(rounds[1]["participants"] == json::array({0, 1}));
  // Worker 0's push of version 1 arrived while the server was at version 0.
  CATCH_CHECK(rounds[1]["ahead"] == json::array({1, 0}));
  CATCH_CHECK(rounds[1]["staleness"] == json::array({0, 0}));
  CATCH_CHECK(rounds[1]["samples"] == 8);
  // od_sgd annotates nothing: no "policy" object.
  CATCH_CHECK_FALSE(rounds[0].contains("policy"));
  CATCH_CHECK(h.w->events_of_type("dropped").empty());
  CATCH_CHECK(h.w->workers[0].errors.empty());
  CATCH_CHECK(h.w->workers[1].errors.empty());
}

CATCH_TEST_CASE("od_sgd: the end of the run answers every outstanding push with a stop job",
                "[aggregator][od_sgd][stop]") {
  harness h;
  start_two(h, od_sgd(/*warmup=*/0), "od_sgd");
  h.w->workers[0].stats.samples_computed = 4;
  h.push(0, 0, 2, g0());
  h.push(0, 1, 2, g0());
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 1);

  h.stop_request();
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  CATCH_CHECK(h.w->outcomes[0].exit_code == 0);
  // Two outstanding pushes, two stop replies, oldest first.
  CATCH_REQUIRE(h.jobs(0).size() == 3);
  for (std::size_t k = 1; k < 3; ++k) {
    CATCH_INFO("reply " << k);
    CATCH_CHECK(h.jobs(0)[k].reply);
    CATCH_CHECK(h.jobs(0)[k].job.stop);
    CATCH_CHECK(h.jobs(0)[k].push_version == static_cast<std::int64_t>(k - 1));
  }
  CATCH_CHECK(h.jobs(1).size() == 1);  // nothing outstanding: no stop job, only the stop request
  CATCH_CHECK(h.w->workers[0].stop_requests == 1);
  CATCH_CHECK(h.w->workers[1].stop_requests == 1);
  auto s = json::parse(h.w->outcomes[0].summary_json);
  CATCH_CHECK(s["samples_in_flight_at_end"] == 4);
  CATCH_CHECK(s["rounds"] == 0);
}

// ---------------------------------------------------------------------------------------------
// 3. abs_sgd: upload requests, after the releases of the same decision.

CATCH_TEST_CASE(
  "abs_sgd period: upload requests on the period timer, and after the releases "
  "when a close also starts the next sync",
  "[aggregator][abs_sgd]") {
  harness h;
  start_two(h, abs_sgd(abs_sgd_trigger::period, 0.5), "abs_sgd");  // at t = 0
  CATCH_CHECK(h.w->workers[0].uploads.empty());
  CATCH_CHECK(h.w->workers[1].uploads.empty());

  // The first sync, one period after the start.
  h.clock->set(0.5);
  h.sched.advance_time(std::chrono::milliseconds(500));
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    auto& ups = h.w->workers[i].uploads;
    CATCH_REQUIRE(ups.size() == 1);
    CATCH_CHECK(ups[0].version == 0);
    CATCH_CHECK(ups[0].jobs_before == 1);
  }

  // Both hand over: the round closes and both are released; the next sync is due at 1.0.
  h.clock->set(0.6);
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 2);
    CATCH_CHECK(h.jobs(i)[1].reply);
    CATCH_CHECK(h.jobs(i)[1].job.version == 1);
    CATCH_CHECK(h.jobs(i)[1].job.mode == as_int(worker_mode::continuous));
    CATCH_CHECK(values(h.jobs(i)[1].job.weights.value) == ssgd_w1);
    CATCH_CHECK(h.w->workers[i].uploads.size() == 1);  // not before the period ends
  }
  h.clock->set(1.0);
  h.sched.advance_time(std::chrono::milliseconds(400));
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    auto& ups = h.w->workers[i].uploads;
    CATCH_REQUIRE(ups.size() == 2);
    CATCH_CHECK(ups[1].version == 1);
    CATCH_CHECK(ups[1].jobs_before == 2);
  }

  // The hand-overs come late (1.7 > 1.5, the end of the next period): the close releases both
  // and asks at once for the next upload, the release reaching each worker first.
  h.clock->set(1.7);
  h.push(0, 1, 2, g0());
  h.push(1, 1, 6, g1());
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 3);
    CATCH_CHECK(h.jobs(i)[2].reply);
    CATCH_CHECK(h.jobs(i)[2].job.version == 2);
    CATCH_CHECK(values(h.jobs(i)[2].job.weights.value) == ssgd_w2);
    auto& ups = h.w->workers[i].uploads;
    CATCH_REQUIRE(ups.size() == 3);
    CATCH_CHECK(ups[2].version == 2);
    CATCH_CHECK(ups[2].jobs_before == 3);  // the reply job came before the request
  }
  CATCH_CHECK(h.w->events_of_type("round").size() == 2);
  CATCH_CHECK(h.w->events_of_type("dropped").empty());
}

CATCH_TEST_CASE("abs_sgd comm: every close releases, then asks for the next upload",
                "[aggregator][abs_sgd]") {
  harness h;
  start_two(h, abs_sgd(abs_sgd_trigger::comm), "abs_sgd");
  // comm syncs at once after the start (a zero-delay timer).
  h.sched.advance_time(std::chrono::milliseconds(0));
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    auto& ups = h.w->workers[i].uploads;
    CATCH_REQUIRE(ups.size() == 1);
    CATCH_CHECK(ups[0].version == 0);
    CATCH_CHECK(ups[0].jobs_before == 1);
  }
  for (version_t v = 0; v < 2; ++v) {
    CATCH_INFO("round " << v);
    h.push(0, v, 2, g0());
    h.settle();
    CATCH_CHECK(h.w->workers[0].uploads.size() == v + 1);  // half a round: nothing yet
    h.push(1, v, 6, g1());
    h.settle();
    for (worker_id i = 0; i < 2; ++i) {
      CATCH_INFO("worker " << i);
      CATCH_REQUIRE(h.jobs(i).size() == v + 2);
      CATCH_CHECK(h.jobs(i).back().reply);
      CATCH_CHECK(h.jobs(i).back().job.version == v + 1);
      auto& ups = h.w->workers[i].uploads;
      CATCH_REQUIRE(ups.size() == v + 2);
      CATCH_CHECK(ups.back().version == v + 1);
      CATCH_CHECK(ups.back().jobs_before == v + 2);  // after the release
    }
  }
  CATCH_CHECK(values(h.jobs(0).back().job.weights.value) == ssgd_w2);
}

// ---------------------------------------------------------------------------------------------
// 4. Policy annotations in round events.

CATCH_TEST_CASE("abs: round events carry K and tau_max under policy", "[aggregator][abs]") {
  harness h;
  start_two(h, abs_u3(), "abs");
  for (version_t v = 0; v < 2; ++v) {
    h.push(0, v, 2, at::tensor({0.5f, -1.0f, 0.25f}));
    h.settle();
  }
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  for (auto& r : rounds) {
    CATCH_INFO(r.dump());
    CATCH_CHECK(r["reason"] == "k_arrived");
    CATCH_CHECK(r["weights"] == json::array({1.0}));
    CATCH_REQUIRE(r.contains("policy"));
    CATCH_CHECK(r["policy"] == json({{"k", 1.0}, {"tau_max", 2.0}}));
  }
}

CATCH_TEST_CASE("ssgd: round events have no policy annotations", "[aggregator][ssgd]") {
  harness h;
  start_two(h, ssgd(), "ssgd");
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 1);
  CATCH_CHECK_FALSE(rounds[0].contains("policy"));
}

// ---------------------------------------------------------------------------------------------
// 5. Batch plans with a length (DBS): the next plan is asked for, and waited for, each epoch.

CATCH_TEST_CASE(
  "dbs: after each epoch the aggregator waits for the next plan and the next jobs "
  "use it",
  "[aggregator][dbs]") {
  // B = 8, |D| = 16: K = 2 rounds per epoch; the measurement epoch splits 4 / 4.
  dbs_options o;
  o.global_batch = 8;
  o.dataset_size = 16;
  o.rounding = "largest_remainder";
  harness h(std::make_shared<dbs_batch_policy>(o, 2));
  start_two(h, ssgd(), "ssgd");

  auto plans = h.w->events_of_type("batch_plan");
  CATCH_REQUIRE(plans.size() == 1);
  CATCH_CHECK(plans[0]["batches"] == json::array({4, 4}));
  CATCH_CHECK(plans[0]["rounds"] == 2);
  CATCH_CHECK(h.jobs(0)[0].job.batch == 4);
  CATCH_CHECK(h.jobs(0)[0].job.share_end == 0.5);
  CATCH_CHECK(h.jobs(1)[0].job.share_begin == 0.5);

  // One synchronous round, with each worker's throughput report sent right before its push (as
  // the real worker does).
  auto round = [&](version_t v, std::int64_t b0, double t0, std::int64_t b1, double t1) {
    h.report(0, static_cast<std::uint64_t>(b0), t0);
    h.push(0, v, static_cast<std::uint64_t>(b0), g0());
    h.report(1, static_cast<std::uint64_t>(b1), t1);
    h.push(1, v, static_cast<std::uint64_t>(b1), g1());
    h.settle();
  };

  // Epoch 0: worker 1 takes three times as long per job: t = 2 s vs 6 s, so
  // q = 8 · (0.5/2) / (0.5/2 + 0.5/6) = 6 and 2.
  round(0, 4, 1.0, 4, 3.0);
  CATCH_CHECK(h.w->events_of_type("batch_plan").size() == 1);  // 1 of 2 rounds: no new plan yet
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].job.batch == 4);
  round(1, 4, 1.0, 4, 3.0);
  plans = h.w->events_of_type("batch_plan");
  CATCH_REQUIRE(plans.size() == 2);
  CATCH_CHECK(plans[1]["batches"] == json::array({6, 2}));
  CATCH_CHECK(plans[1]["shares"] == json::array({0.75, 0.25}));
  CATCH_CHECK(plans[1]["rounds"] == 2);
  CATCH_CHECK(plans[1]["version"] == 2);
  // The releases of round 2 waited for the plan: the version-2 jobs already use it.
  CATCH_REQUIRE(h.jobs(0).size() == 3);
  CATCH_REQUIRE(h.jobs(1).size() == 3);
  CATCH_CHECK(h.jobs(0)[2].job.version == 2);
  CATCH_CHECK(h.jobs(0)[2].job.batch == 6);
  CATCH_CHECK(h.jobs(0)[2].job.share_begin == 0.0);
  CATCH_CHECK(h.jobs(0)[2].job.share_end == 0.75);
  CATCH_CHECK(h.jobs(1)[2].job.version == 2);
  CATCH_CHECK(h.jobs(1)[2].job.batch == 2);
  CATCH_CHECK(h.jobs(1)[2].job.share_begin == 0.75);
  CATCH_CHECK(h.jobs(1)[2].job.share_end == 1.0);

  // Epoch 1: equal times per epoch (the fixed point): the plan stays 6 / 2, but it is asked
  // for again after exactly 2 more rounds.
  round(2, 6, 1.5, 2, 1.5);
  CATCH_CHECK(h.w->events_of_type("batch_plan").size() == 2);
  CATCH_CHECK(h.jobs(0).back().job.batch == 6);
  round(3, 6, 1.5, 2, 1.5);
  plans = h.w->events_of_type("batch_plan");
  CATCH_REQUIRE(plans.size() == 3);
  CATCH_CHECK(plans[2]["batches"] == json::array({6, 2}));
  CATCH_CHECK(plans[2]["version"] == 4);

  // Every job ran on the plan of its epoch.
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 5);
    for (auto& r : h.jobs(i)) {
      CATCH_INFO("version " << r.job.version);
      const std::int64_t expected = r.job.version < 2 ? 4 : (i == 0 ? 6 : 2);
      CATCH_CHECK(r.job.batch == expected);
    }
  }
  CATCH_CHECK(event_sequence(h, {"round", "batch_plan"}) ==
              std::vector<std::string>{"batch_plan", "round", "round", "batch_plan", "round",
                                       "round", "batch_plan"});
  CATCH_CHECK(h.w->outcomes.empty());
}

CATCH_TEST_CASE(
  "a plan request holds every release until the controller answers, and no "
  "answer fails the run at the request deadline",
  "[aggregator][dbs][deadline]") {
  harness h;
  auto gate = use_gated_controller(h);  // first plan: 3 / 5 for 1 round
  start_two(h, ssgd(), "ssgd");
  CATCH_CHECK(h.jobs(0)[0].job.batch == 3);
  CATCH_CHECK(h.jobs(1)[0].job.batch == 5);
  CATCH_CHECK(h.jobs(1)[0].job.share_begin == 0.375);

  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  // The round closed, the plan ran out: nobody is released before the next plan is in.
  CATCH_CHECK(h.w->events_of_type("round").size() == 1);
  CATCH_CHECK(gate->plan_requests == 1);
  CATCH_CHECK(h.jobs(0).size() == 1);
  CATCH_CHECK(h.jobs(1).size() == 1);

  caf::anon_send(h.controller, plan({6, 2}, {0.75, 0.25}, 1));
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].reply);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(h.jobs(0)[1].job.batch == 6);
  CATCH_CHECK(h.jobs(0)[1].job.share_end == 0.75);
  CATCH_CHECK(values(h.jobs(0)[1].job.weights.value) == ssgd_w1);
  CATCH_CHECK(h.jobs(1)[1].job.batch == 2);
  CATCH_CHECK(h.jobs(1)[1].job.share_begin == 0.75);

  // The next plan request is never answered.
  h.push(0, 1, 2, g0());
  h.push(1, 1, 6, g1());
  h.settle();
  CATCH_CHECK(gate->plan_requests == 2);
  CATCH_CHECK(h.jobs(0).size() == 2);
  h.sched.advance_time(std::chrono::milliseconds(9999));  // request_timeout_s = 10
  h.settle();
  CATCH_CHECK(h.w->outcomes.empty());
  CATCH_CHECK(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(1).size() == 2);
  h.sched.advance_time(std::chrono::milliseconds(1));
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  auto& o = h.w->outcomes[0];
  CATCH_CHECK(o.exit_code == 1);
  CATCH_CHECK(o.message.find("batch controller did not send the next batch plan") !=
              std::string::npos);
  // The held releases become stop jobs.
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 3);
    CATCH_CHECK(h.jobs(i)[2].reply);
    CATCH_CHECK(h.jobs(i)[2].job.stop);
    CATCH_CHECK(h.w->workers[i].stop_requests == 1);
  }
  auto s = json::parse(o.summary_json);
  CATCH_CHECK(s["exit_code"] == 1);
  CATCH_CHECK(s["rounds"] == 2);
  CATCH_CHECK(h.w->aggregator_down);
}

CATCH_TEST_CASE("the batch controller dying while a plan is awaited fails the run",
                "[aggregator][dbs][faults]") {
  harness h;
  use_gated_controller(h);
  start_two(h, ssgd(), "ssgd");
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_CHECK(h.jobs(0).size() == 1);
  caf::anon_send_exit(h.controller, caf::exit_reason::kill);
  h.settle();
  CATCH_REQUIRE(h.w->outcomes.size() == 1);
  CATCH_CHECK(h.w->outcomes[0].exit_code == 1);
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_REQUIRE(h.jobs(i).size() == 2);
    CATCH_CHECK(h.jobs(i)[1].job.stop);
  }
}

// ---------------------------------------------------------------------------------------------
// Regression tests of two aggregator bugs found by these tests (fixed in aggregator_actor.cpp).

// Was a bug (actors/aggregator_actor.cpp, carry_out): while a plan was awaited the releases were
// held but the decision's upload requests went out at once, so a worker got (upload_atom) before
// the release it must adopt first. abs_sgd comm + DBS hit it at every epoch end; a local-steps
// worker (wp_sgd) that is waiting for its release ignores the request, and the round then never
// closes. Fixed: upload requests are held too and sent after the held releases.
CATCH_TEST_CASE(
  "abs_sgd comm: an upload request made while a plan is awaited follows the held "
  "release",
  "[aggregator][abs_sgd][dbs]") {
  harness h;
  auto gate = use_gated_controller(h);
  start_two(h, abs_sgd(abs_sgd_trigger::comm), "abs_sgd");
  h.sched.advance_time(std::chrono::milliseconds(0));
  h.settle();
  CATCH_REQUIRE(h.w->workers[0].uploads.size() == 1);

  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_CHECK(gate->plan_requests == 1);
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_CHECK(h.jobs(i).size() == 1);                // release held...
    CATCH_CHECK(h.w->workers[i].uploads.size() == 1);  // ...and the request with it
  }
  caf::anon_send(h.controller, plan({4, 4}, {0.5, 0.5}, 1));
  h.settle();
  for (worker_id i = 0; i < 2; ++i) {
    CATCH_INFO("worker " << i);
    CATCH_REQUIRE(h.jobs(i).size() == 2);
    CATCH_CHECK(h.jobs(i)[1].job.version == 1);
    auto& ups = h.w->workers[i].uploads;
    CATCH_REQUIRE(ups.size() == 2);
    CATCH_CHECK(ups[1].version == 1);
    CATCH_CHECK(ups[1].jobs_before == 2);
  }
}

// A NaN push is dropped (non_finite) and reaches the policy as an empty arrival, so it is
// released only by the policy, through the same hold as every release: while a plan is awaited,
// an od_sgd worker whose push of the next iteration is rejected gets no job on the old plan.
// (Was a bug once: the NaN branch released the worker itself, bypassing the hold.)
CATCH_TEST_CASE("od_sgd: a NaN push while a plan is awaited does not release on the old plan",
                "[aggregator][od_sgd][dbs][faults]") {
  harness h;
  use_gated_controller(h);  // 3 / 5, one round per plan
  start_two(h, od_sgd(/*warmup=*/0), "od_sgd");
  h.push(0, 0, 2, g0());
  h.push(1, 0, 6, g1());
  h.settle();
  CATCH_CHECK(h.w->events_of_type("round").size() == 1);
  CATCH_CHECK(h.jobs(0).size() == 1);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  h.push(0, 1, 2, at::tensor({nan, 0.0f, 0.0f}));
  h.settle();
  auto dropped = h.w->events_of_type("dropped");
  CATCH_REQUIRE(dropped.size() == 1);
  CATCH_CHECK(dropped[0]["reason"] == "non_finite");
  CATCH_CHECK(h.jobs(0).size() == 1);  // no job before the plan is in

  caf::anon_send(h.controller, plan({6, 2}, {0.75, 0.25}, 1));
  h.settle();
  // The held releases of round 0, on the new plan; the empty push of iteration 1 waits for its
  // round like any other.
  CATCH_REQUIRE(h.jobs(0).size() == 2);
  CATCH_CHECK(h.jobs(0)[1].push_version == 0);
  CATCH_CHECK(h.jobs(0)[1].job.version == 1);
  CATCH_CHECK(h.jobs(0)[1].job.batch == 6);
  CATCH_REQUIRE(h.jobs(1).size() == 2);
  CATCH_CHECK(h.jobs(1)[1].job.batch == 2);
  // Worker 1's push of iteration 1 closes round 1 with worker 0 as an empty participant.
  h.push(1, 1, 2, g1());
  h.settle();
  auto rounds = h.w->events_of_type("round");
  CATCH_REQUIRE(rounds.size() == 2);
  CATCH_CHECK(rounds[1]["worker_samples"] == json::array({0, 2}));
}
