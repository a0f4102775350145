#pragma once
/// Deterministic harness for actor tests.
///
/// - The actor system runs on CAF's test coordinator: one thread (the test's), a job runs only
///   when the test calls sched.run() / run_once(), and delayed messages and request timeouts
///   fire only on sched.advance_time() / trigger_timeouts(). No sleeps, no wall-clock waits.
/// - A manual_clock (a run_clock whose now_s() is set by the test) gives the aggregator and its
///   policy deterministic run times; it is independent of CAF's simulated clock, which only
///   drives timers.
/// - Small event-based fakes (spawned normally, so the test coordinator schedules them) stand in
///   for the aggregator's peers and record every message into one shared `world`:
///   fake recorder, fake evaluator, fake driver, fake workers. The batch controller is the real
///   one (fixed batch policy unless the test picks another; use_controller swaps in a fake).
///
/// A fake worker does nothing on its own: the test commands it ((join_atom) → it sends a join
/// request; contribution_msg → it pushes that contribution as a request; worker_failure_msg → it
/// forwards it), and it records every job it gets (reply or unsolicited send) and every
/// (upload_atom, version) request, and answers the aggregator's (stop_atom) request with the
/// worker_stats_msg the test put into its log. Throughput reports reach the batch controller
/// through report().

#include <ATen/ATen.h>

#include <catch2/catch.hpp>  // start_two asserts its preconditions

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/aggregator_actor.hpp"
#include "actors/atoms.hpp"
#include "actors/batch_controller_actor.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/run_clock.hpp"
#include "policies/batch_policy.hpp"

namespace hetsgd::actor_test {

/// A run clock that shows whatever time the test sets (seconds).
class manual_clock final : public run_clock {
 public:
  double now_s() const override { return t_; }
  const char* kind() const override { return "manual"; }
  void set(double t) { t_ = t; }

 private:
  double t_ = 0.0;
};

/// One job a fake worker received.
struct received_job {
  job_msg job;
  bool reply = false;  ///< true: the answer to its join / push; false: sent unsolicited
  /// The answer to a push: the version that push was tagged with (-1: join reply or unsolicited).
  std::int64_t push_version = -1;
};

/// One (upload_atom, version) the aggregator sent to a fake worker.
struct upload_request {
  version_t version = 0;
  std::size_t jobs_before = 0;  ///< jobs the worker had received when the request came
};

struct fake_worker_log {
  std::vector<received_job> jobs;
  std::vector<upload_request> uploads;
  std::vector<std::string> errors;      ///< error replies to its join / push / probe requests
  std::vector<probe_reply_msg> probes;  ///< answers to its (probe_atom, seq) requests
  int stop_requests = 0;
  worker_stats_msg stats;  ///< what it answers to (stop_atom)
};

/// Everything the fakes saw. Only touched from the test thread (the test coordinator runs every
/// actor there), so no locking.
struct world {
  std::vector<fake_worker_log> workers;
  std::vector<std::string> events;     ///< recorder: event lines (JSON objects)
  std::vector<std::string> summaries;  ///< recorder: summary.json texts
  int metric_rows = 0;
  std::vector<eval_request_msg> eval_requests;
  std::vector<progress_msg> progress;     ///< driver
  std::vector<run_outcome_msg> outcomes;  ///< driver: (done_atom, run_outcome_msg)
  bool aggregator_down = false;           ///< the driver saw the aggregator terminate
  bool summary_fails = false;             ///< recorder: answer (summary_atom) with an error

  /// Parsed event lines whose "type" is `type`, in order.
  std::vector<nlohmann::json> events_of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (auto& line : events) {
      auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == type)
        out.push_back(std::move(j));
    }
    return out;
  }
};

using world_ptr = std::shared_ptr<world>;

inline caf::behavior fake_recorder(caf::event_based_actor*, world_ptr w) {
  return {
    [=](event_atom, const std::string& line) { w->events.push_back(line); },
    [=](metric_atom, double, std::uint64_t, double, double, std::uint64_t) { w->metric_rows += 1; },
    [=](summary_atom, const std::string& json) -> caf::result<bool> {
      if (w->summary_fails)
        return caf::make_error(caf::sec::runtime_error, "disk full");
      w->summaries.push_back(json);
      return true;
    },
  };
}

/// Accuracy = first weight, so a test can tell which snapshot was evaluated.
inline caf::behavior fake_evaluator(caf::event_based_actor*, world_ptr w) {
  return {
    [=](eval_request_msg& r) -> eval_result_msg {
      w->eval_requests.push_back(r);
      eval_result_msg res;
      res.version = r.version;
      res.at_s = r.at_s;
      res.samples_applied = r.samples_applied;
      res.accuracy = r.weights.value.contiguous().data_ptr<float>()[0];
      res.loss = 0.5;
      res.samples = 10;
      return res;
    },
  };
}

/// The driver: receives progress lines and the outcome, and watches the aggregator.
inline caf::behavior fake_driver(caf::event_based_actor* self, world_ptr w, caf::actor agg) {
  self->set_down_handler([=](caf::down_msg&) { w->aggregator_down = true; });
  self->monitor(agg);
  return {
    [=](progress_msg& p) { w->progress.push_back(p); },
    [=](done_atom, run_outcome_msg& o) { w->outcomes.push_back(o); },
  };
}

inline caf::behavior fake_worker(caf::event_based_actor* self, world_ptr w, worker_id id,
                                 caf::actor agg) {
  // No request timeout: only the aggregator's deadlines are under test, and a timer that nobody
  // waits for would fire on every advance_time.
  auto on_job = [=](job_msg& j) { w->workers[id].jobs.push_back({std::move(j), true}); };
  auto on_error = [=](caf::error& err) {
    w->workers[id].errors.push_back(self->system().render(err));
  };
  return {
    [=](join_atom) {
      self->request(agg, caf::infinite, join_atom::value, id).then(on_job, on_error);
    },
    [=](contribution_msg& c) {
      const auto tag = static_cast<std::int64_t>(c.version);
      // cppcheck 2.10 takes the move inside this call for a later access (none follows).
      // cppcheck-suppress accessMoved
      self->request(agg, caf::infinite, std::move(c))
        .then(
          [w, id, tag](job_msg& j) {
            w->workers[id].jobs.push_back({std::move(j), true, tag});
          },
          on_error);
    },
    [=](worker_failure_msg& f) { self->send(agg, std::move(f)); },
    [=](probe_atom, std::uint64_t seq) {
      self->request(agg, caf::infinite, probe_atom::value, id, seq)
        .then([=](probe_reply_msg& r) { w->workers[id].probes.push_back(std::move(r)); }, on_error);
    },
    [=](resync_atom) {
      self->request(agg, caf::infinite, resync_atom::value, id).then(on_job, on_error);
    },
    [=](job_msg& j) {
      w->workers[id].jobs.push_back({std::move(j), false});
    },
    [=](upload_atom, version_t v) {
      auto& log = w->workers[id];
      log.uploads.push_back({v, log.jobs.size()});
    },
    [=](stop_atom) -> worker_stats_msg {
      auto& log = w->workers[id];
      log.stop_requests += 1;
      auto s = log.stats;
      s.worker = id;
      return s;
    },
  };
}

/// Contents of a float tensor, for exact comparisons.
inline std::vector<float> values(const at::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

/// An actor system on the test coordinator with the aggregator's peers spawned as fakes.
class harness {
 public:
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<manual_clock> clock = std::make_shared<manual_clock>();
  world_ptr w = std::make_shared<world>();
  std::int64_t batch = 16;  ///< fixed batch of the real batch controller
  caf::actor recorder;
  caf::actor evaluator;
  caf::actor controller;
  caf::actor agg;
  caf::actor driver;
  std::vector<caf::actor> workers;

  /// `batch_pol`: the batch controller's policy (nullptr: fixed_batch_policy(batch)).
  explicit harness(std::shared_ptr<batch_policy> batch_pol = nullptr)
      : sys(configure(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    // Every actor is killed in the destructor; never block there on a leaked one.
    sys.await_actors_before_shutdown(false);
    recorder = sys.spawn(fake_recorder, w);
    evaluator = sys.spawn(fake_evaluator, w);
    if (!batch_pol)
      batch_pol = std::make_shared<fixed_batch_policy>(batch);
    controller = spawn_batch_controller(sys, std::move(batch_pol));
    sched.run();
  }

  /// Replaces the batch controller by `c` (e.g. a fake); call before start().
  void use_controller(caf::actor c) {
    caf::anon_send_exit(controller, caf::exit_reason::kill);
    controller = std::move(c);
    sched.run();
  }

  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  ~harness() {
    for (auto& a : workers)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    for (auto* a : {&agg, &driver, &recorder, &evaluator, &controller})
      caf::anon_send_exit(*a, caf::exit_reason::kill);
    sched.run();
    // Pending delayed messages and request timeouts hold references to their actors.
    sched.clock().cancel_all();
    sched.run();
  }

  /// Aggregator parameters with this harness's services, tiny weights [1, 2, 3] and lr 0.5
  /// (so that expected weights are exact binary fractions).
  aggregator_params params(std::shared_ptr<round_policy> policy, const std::string& name, int n) {
    aggregator_params p;
    p.policy = std::move(policy);
    p.policy_name = name;
    p.model_name = "fake";
    p.initial_weights = at::tensor({1.0f, 2.0f, 3.0f});
    p.clock = clock;
    p.workers = n;
    p.speeds.assign(static_cast<std::size_t>(n), 1.0);
    p.solo_samples_per_s = 100.0;
    p.lr = 0.5;
    p.max_samples = 0;
    p.max_seconds = 0.0;
    p.eval_every_s = 5.0;
    p.progress_every_s = 1.0;
    p.request_timeout_s = 10.0;
    p.evaluator = evaluator;
    p.recorder = recorder;
    p.batch_controller = controller;
    return p;
  }

  /// Spawns the aggregator, the driver and n fake workers, and runs every job (the aggregator's
  /// batch-plan request is answered here).
  void start(aggregator_params p) {
    auto n = static_cast<std::size_t>(p.workers);
    w->workers.resize(n);
    agg = spawn_aggregator(sys, std::move(p));
    driver = sys.spawn(fake_driver, w, agg);
    for (std::size_t i = 0; i < n; ++i)
      workers.push_back(sys.spawn(fake_worker, w, static_cast<worker_id>(i), agg));
    sched.run();
  }

  // Commands: each only enqueues; the test decides when to run (settle()).
  void join(worker_id i) { caf::anon_send(workers.at(i), join_atom::value); }
  void run_request() { caf::send_as(driver, agg, run_atom::value); }
  void stop_request() { caf::send_as(driver, agg, stop_atom::value); }
  /// `seq`: the push's number on the worker's link (0: untracked, as pushes without link
  /// recovery).
  void push(worker_id i, version_t version, std::uint64_t samples, at::Tensor gradient_sum,
            std::uint64_t seq = 0) {
    contribution_msg c;
    c.seq = seq;
    c.worker = i;
    c.version = version;
    c.samples = samples;
    c.compute_s = 0.01;
    c.loss_sum = 0.1 * static_cast<double>(samples);
    c.payload.value = std::move(gradient_sum);
    c.sent_at_s = clock->now_s();
    caf::anon_send(workers.at(i), std::move(c));
  }

  /// The worker asks the aggregator about its push `seq` (link recovery).
  void probe(worker_id i, std::uint64_t seq) {
    caf::anon_send(workers.at(i), probe_atom::value, seq);
  }

  /// A worker's throughput report to the batch controller, as the real worker sends it right
  /// before each push (enqueue it before the push).
  void report(worker_id i, std::uint64_t samples, double compute_s) {
    caf::anon_send(controller, throughput_msg{i, samples, compute_s});
  }

  /// Runs jobs until every mailbox is empty (timers do not fire).
  std::size_t settle() { return sched.run(); }

  const std::vector<received_job>& jobs(worker_id i) const { return w->workers.at(i).jobs; }

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    c.set("logger.console-verbosity", caf::atom("quiet"));
    register_message_types(c);
    return c;
  }
};

// ---- the two-worker scenario most aggregator tests share -------------------------------------

/// Weights start at [1, 2, 3] (harness::params) and lr is 0.5.
inline const std::vector<float> w0_values{1.0f, 2.0f, 3.0f};

// g0 over n0 = 2 samples and g1 over n1 = 6 samples: (g0 + g1) / 8 = [0.25, 0, 0.25], so each
// sample-weighted round with these two moves w by −0.5 · [0.25, 0, 0.25].
inline at::Tensor g0() {
  return at::tensor({0.5f, 1.0f, -2.0f});
}
inline at::Tensor g1() {
  return at::tensor({1.5f, -1.0f, 4.0f});
}
inline const std::vector<float> ssgd_w1{0.875f, 2.0f, 2.875f};
inline const std::vector<float> ssgd_w2{0.75f, 2.0f, 2.75f};

/// Both workers joined, the driver asked to run, both hold their version-0 job.
inline void start_two(harness& h, std::shared_ptr<round_policy> policy, const std::string& name,
                      std::uint64_t max_samples = 0) {
  auto p = h.params(std::move(policy), name, 2);
  p.max_samples = max_samples;
  h.start(std::move(p));
  h.join(0);
  h.join(1);
  h.run_request();
  h.settle();
  CATCH_REQUIRE(h.jobs(0).size() == 1);
  CATCH_REQUIRE(h.jobs(1).size() == 1);
}

}  // namespace hetsgd::actor_test
