// Embedding hetsgd (docs/embedding.md): a program's own model and data set trained by
// run_training, its events delivered to a subscriber, and what the program got wrong reported
// as a run that did not start or failed, with the reason.
#include "e2e_support.hpp"

#include <torch/nn/modules/linear.h>

#include <caf/all.hpp>

#include <chrono>
#include <mutex>
#include <thread>

#include "actors/atoms.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/model_registration.hpp"
#include "gpu/image_dataset.hpp"
#include "policies/policy_registry.hpp"

using namespace e2e;

namespace {

/// Two features, two classes: the sign of x0 + x1, a line a linear model finds at once.
class line_classifier final : public hetsgd::classifier {
 public:
  line_classifier()
      : hetsgd::classifier("line_classifier"),
        fc_(register_module("fc", torch::nn::Linear(2, 2))) {}
  at::Tensor forward(at::Tensor x) override { return fc_->forward(x); }

 private:
  torch::nn::Linear fc_{nullptr};
};

hetsgd::image_dataset line_data(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto x = at::randn({n, 2}, gen);
  return {x, (x.sum(1) > 0).to(at::kLong)};
}

std::shared_ptr<const hetsgd::labeled_data> line_set() {
  auto d = std::make_shared<hetsgd::labeled_data>();
  d->train = line_data(4000, 1);
  d->test = line_data(1000, 2);
  return d;
}

const std::vector<std::string> own_model_sets = {
  "model.name=\"line_classifier\"", "cluster.workers=2",          "cluster.speeds=[1.0, 1.0]",
  "train.max_samples=8000",         "train.target_accuracy=0.0",  "train.batch=32",
  "train.micro_batch=32",           "output.progress_every_s=0.0"};

struct embedded_run {
  hetsgd::run_result res;
  json summary;
  std::vector<json> seen;  ///< what the subscriber got
  std::string dir;
};

embedded_run run_embedded(const std::string& name, std::vector<std::string> sets,
                          std::shared_ptr<const hetsgd::labeled_data> data,
                          const std::function<void(hetsgd::run_options&)>& adjust = {}) {
  embedded_run er;
  std::string effective;
  auto cfg = load(sets, &effective);
  std::mutex m;
  hetsgd::run_options opts;
  opts.out_dir = er.dir = fresh_dir(name);
  opts.effective_toml = effective;
  opts.solo_calibration_s = 0.2;
  opts.data = std::move(data);
  opts.on_event = [&](const json& e) {
    std::lock_guard<std::mutex> lock(m);
    er.seen.push_back(e);
  };
  if (adjust)
    adjust(opts);
  er.res = hetsgd::run_training(cfg, opts);
  if (!er.res.summary_json.empty())
    er.summary = json::parse(er.res.summary_json);
  return er;
}

void register_line_classifier() {
  hetsgd::register_model("line_classifier", [](uint64_t) -> hetsgd::model_handle {
    return std::make_shared<line_classifier>();
  });
}

/// The line model on its data in a run only the program's stop (or 120 s) ends: fills `opts`
/// (directory `name`) and returns the config.
hetsgd::run_config controlled_run(const std::string& name, hetsgd::run_options& opts) {
  register_line_classifier();
  auto sets = own_model_sets;
  sets.push_back("train.max_samples=0");
  sets.push_back("train.max_seconds=120.0");
  std::string effective;
  auto cfg = load(sets, &effective);
  opts.out_dir = fresh_dir(name);
  opts.effective_toml = effective;
  opts.solo_calibration_s = 0.2;
  opts.data = line_set();
  return cfg;
}

/// What a program's pause cycle (pause_cycle) saw.
struct cycle_report {
  std::string failure;  ///< what went wrong ("" = nothing)
  hetsgd::run_status_msg in_pause;
  std::string pause_twice, resume_twice;  ///< the error replies to a second pause and resume
  int rounds_in_window = 0;  ///< round events after the pause's own event, within the window
};

/// From a program's thread: waits for 3 rounds, pauses the run, watches it for `window` (rounds
/// count from the pause's own event on, since the recorder sends events in order), asks for
/// the status, resumes, waits for 3 more rounds and stops the run. `self` is subscribed.
void pause_cycle(caf::scoped_actor& self, const caf::actor& run, cycle_report& r,
                 std::chrono::milliseconds window) {
  const auto deadline = std::chrono::seconds(30);
  auto ask = [&](auto atom, const char* what, std::string* error) {
    self->request(run, deadline, atom)
      .receive([&](bool) {},
               [&](caf::error& e) {
                 if (error)
                   *error = self->system().render(e);
                 else
                   r.failure += std::string(what) + ": " + self->system().render(e) + "; ";
               });
  };
  // Waits for n round events, each within 60 s of the last.
  auto await_rounds = [&](int n) {
    int seen = 0;
    bool late = false;
    while (seen < n && !late)
      self->receive([&](hetsgd::event_atom,
                        const std::string& line) { seen += json::parse(line)["type"] == "round"; },
                    caf::after(std::chrono::seconds(60)) >> [&] { late = true; });
    if (late)
      r.failure += "no " + std::to_string(n) + " rounds within 60 s of each other; ";
  };
  await_rounds(3);
  ask(hetsgd::pause_atom::value, "pause", nullptr);
  ask(hetsgd::pause_atom::value, "pause twice", &r.pause_twice);
  // The window is the observation itself (a paused run must close no rounds in it), not a wait
  // for something to happen.
  bool pause_seen = false;
  const auto window_end = std::chrono::steady_clock::now() + window;
  for (;;) {
    const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(window_end - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    self->receive(
      [&](hetsgd::event_atom, const std::string& line) {
        auto e = json::parse(line);
        pause_seen = pause_seen || (e["type"] == "control" && e["action"] == "pause");
        r.rounds_in_window += pause_seen && e["type"] == "round";
      },
      caf::after(left) >> [] {});
  }
  self->request(run, deadline, hetsgd::status_atom::value)
    .receive([&](hetsgd::run_status_msg& s) { r.in_pause = s; },
             [&](caf::error& e) { r.failure += "status: " + self->system().render(e); });
  ask(hetsgd::resume_atom::value, "resume", nullptr);
  ask(hetsgd::resume_atom::value, "resume twice", &r.resume_twice);
  await_rounds(3);
  self->send(run, hetsgd::stop_atom::value);
}

/// events.jsonl's control events as "action:reason", and the rounds between the last pause on
/// request and the resume after it.
std::pair<std::vector<std::string>, int> controls_and_paused_rounds(const std::string& dir) {
  std::vector<std::string> controls;
  int rounds_paused = 0;
  bool in_request_pause = false;
  for (auto& e : read_events(dir)) {
    if (e["type"] == "control") {
      controls.push_back(e["action"].get<std::string>() + ":" + e["reason"].get<std::string>());
      in_request_pause = e["action"] == "pause" && e["reason"] == "request";
    } else if (e["type"] == "round" && in_request_pause) {
      ++rounds_paused;
    }
  }
  return {controls, rounds_paused};
}

}  // namespace

CATCH_TEST_CASE("a program's own model and data train, and its subscriber sees every event",
                "[e2e][embedding]") {
  register_line_classifier();
  for (const char* policy : {"ssgd", "asgd"}) {  // the policy chosen per run
    CATCH_INFO("policy " << policy);
    auto sets = own_model_sets;
    sets.push_back(std::string("policy.name=\"") + policy + "\"");
    auto er = run_embedded(std::string("own_") + policy, sets, line_set());
    CATCH_REQUIRE(er.res.exit_code == 0);
    CATCH_CHECK(er.summary["model"] == "line_classifier");
    CATCH_CHECK(er.summary["policy"] == policy);
    CATCH_CHECK(er.summary["final_accuracy"].get<double>() > 0.9);  // chance is 0.5
    // The subscriber got what events.jsonl got, in the same order.
    auto written = read_events(er.dir);
    CATCH_CHECK(er.seen == written);
    auto rounds = std::count_if(er.seen.begin(), er.seen.end(),
                                [](const json& e) { return e["type"] == "round"; });
    CATCH_CHECK(rounds == er.summary["rounds"].get<long>());
    CATCH_CHECK(std::any_of(er.seen.begin(), er.seen.end(),
                            [](const json& e) { return e["type"] == "evaluation"; }));
  }
}

CATCH_TEST_CASE("a subscriber that throws is dropped and the run goes on", "[e2e][embedding]") {
  register_line_classifier();
  std::string effective;
  auto cfg = load(own_model_sets, &effective);
  int calls = 0;
  hetsgd::run_options opts;
  opts.out_dir = fresh_dir("throwing_subscriber");
  opts.effective_toml = effective;
  opts.solo_calibration_s = 0.2;
  opts.data = line_set();
  opts.on_event = [&](const json&) {
    calls += 1;
    throw std::runtime_error("subscriber bug");
  };
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_CHECK(res.exit_code == 0);
  CATCH_CHECK(calls == 1);
  CATCH_CHECK(read_events(opts.out_dir).size() > 1);  // the log is complete regardless
}

CATCH_TEST_CASE("what an embedding program gets wrong is reported, not crashed on",
                "[e2e][embedding]") {
  register_line_classifier();
  hetsgd::register_model("broken_factory", [](uint64_t) -> hetsgd::model_handle {
    throw std::runtime_error("weights file missing");
  });
  // A factory that throws: the run fails with its message.
  auto sets = own_model_sets;
  sets[0] = "model.name=\"broken_factory\"";
  auto broken = run_embedded("broken_factory", sets, line_set());
  CATCH_CHECK(broken.res.exit_code == 1);
  CATCH_CHECK(broken.res.message == "model factory 'broken_factory' failed: weights file missing");

  // A data set that does not fit the rules: refused before anything starts.
  auto bad = std::make_shared<hetsgd::labeled_data>(*line_set());
  bad->test.labels = bad->test.labels.narrow(0, 0, 10);
  auto refused = run_embedded("bad_data", own_model_sets, bad);
  CATCH_CHECK(refused.res.exit_code == 2);
  CATCH_CHECK(refused.res.message == "run_options.data: test: 1000 images but 10 labels");

  // A data set the model cannot take (3 features for a 2-input model): the run fails and says so.
  auto wide = std::make_shared<hetsgd::labeled_data>();
  wide->train = {at::randn({200, 3}), at::zeros({200}, at::kLong)};
  wide->test = {at::randn({50, 3}), at::ones({50}, at::kLong)};
  auto mismatch = run_embedded("mismatch", own_model_sets, wide);
  CATCH_CHECK(mismatch.res.exit_code == 1);
  CATCH_CHECK_FALSE(mismatch.res.message.empty());

  // Worker processes cannot build a program's model.
  sets = own_model_sets;
  sets.push_back("cluster.mode=\"processes\"");
  auto processes = run_embedded("own_processes", sets, nullptr);
  CATCH_CHECK(processes.res.exit_code == 2);
  CATCH_CHECK(processes.res.message.find("model 'line_classifier' (a program's own) can only be "
                                         "trained with cluster.mode = \"threads\"") !=
              std::string::npos);

  // A paused start, or the program's own actor system, on the simulated clock; its own system
  // for worker processes.
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  sets = own_model_sets;
  sets.push_back("cluster.clock=\"simulated\"");
  auto sim_paused = run_embedded("sim_paused", sets, line_set(),
                                 [](hetsgd::run_options& o) { o.start_paused = true; });
  CATCH_CHECK(sim_paused.res.exit_code == 2);
  CATCH_CHECK(sim_paused.res.message.find("run_options.start_paused: a run on cluster.clock = "
                                          "\"simulated\" cannot pause") == 0);
  auto sim_system =
    run_embedded("sim_system", sets, line_set(), [&](hetsgd::run_options& o) { o.system = &sys; });
  CATCH_CHECK(sim_system.res.exit_code == 2);
  CATCH_CHECK(sim_system.res.message.find("run_options.system: a run on cluster.clock = "
                                          "\"simulated\" needs an actor system of its own") == 0);
  sets = {"cluster.mode=\"processes\"", "cluster.workers=2", "cluster.speeds=[1.0, 1.0]"};
  auto proc_system =
    run_embedded("proc_system", sets, nullptr, [&](hetsgd::run_options& o) { o.system = &sys; });
  CATCH_CHECK(proc_system.res.exit_code == 2);
  CATCH_CHECK(proc_system.res.message.find("run_options.system: cluster.mode = \"processes\" "
                                           "builds its own actor system") == 0);
}

CATCH_TEST_CASE(
  "a program follows a running run's events, asks for its status and a checkpoint, "
  "and stops it",
  "[e2e][embedding]") {
  hetsgd::run_options opts;
  auto cfg = controlled_run("controlled", opts);
  hetsgd::run_status_msg status;
  int rounds_seen = 0;
  std::string checkpoint_file, policy_error, start_error, resume_error, unknown_error, failure;
  std::thread controller;
  opts.on_started = [&](const caf::actor& run) {
    controller = std::thread([&, run] {
      caf::scoped_actor self{run.home_system()};
      const auto deadline = std::chrono::seconds(30);
      // Subscribed, this actor gets every event from now on; it waits for 5 rounds.
      self->request(run, deadline, hetsgd::subscribe_atom::value)
        .receive([](bool) {},
                 [&](caf::error& e) { failure += "subscribe: " + self->system().render(e); });
      bool timed_out = false;
      while (failure.empty() && rounds_seen < 5 && !timed_out)
        self->receive(
          [&](hetsgd::event_atom, const std::string& line) {
            if (json::parse(line)["type"] == "round")
              rounds_seen += 1;
          },
          caf::after(std::chrono::seconds(60)) >> [&] { timed_out = true; });
      if (timed_out)
        failure += "no 5 round events within 60 s of each other";
      self->request(run, deadline, hetsgd::status_atom::value)
        .receive([&](hetsgd::run_status_msg& s) { status = s; },
                 [&](caf::error& e) { failure += "status: " + self->system().render(e); });
      self->request(run, deadline, hetsgd::checkpoint_atom::value)
        .receive([&](std::string& file) { checkpoint_file = file; },
                 [&](caf::error& e) { failure += "checkpoint: " + self->system().render(e); });
      self->request(run, deadline, hetsgd::policy_atom::value, std::string("asgd"))
        .receive([&] { failure += "the policy changed mid-run"; },
                 [&](caf::error& e) { policy_error = self->system().render(e); });
      // A message the run does not know: an error reply, and the run goes on.
      self->request(run, deadline, std::string("rewind"), 42)
        .receive([&] { failure += "an unknown message was answered as if known"; },
                 [&](caf::error& e) { unknown_error = self->system().render(e); });
      // It started by itself: a start from the program, and a resume, come at the wrong time.
      self->request(run, deadline, hetsgd::run_atom::value)
        .receive([&](bool) { failure += "a running run was started again"; },
                 [&](caf::error& e) { start_error = self->system().render(e); });
      self->request(run, deadline, hetsgd::resume_atom::value)
        .receive([&](bool) { failure += "a run that was not paused was resumed"; },
                 [&](caf::error& e) { resume_error = self->system().render(e); });
      self->send(run, hetsgd::stop_atom::value);
    });
  };
  auto res = hetsgd::run_training(cfg, opts);
  controller.join();
  CATCH_INFO("checkpoint " << checkpoint_file << "; policy error " << policy_error);
  CATCH_CHECK(failure.empty());
  CATCH_CHECK(res.exit_code == 0);
  CATCH_CHECK(res.message == "stopped by request");
  CATCH_CHECK(status.started);
  CATCH_CHECK_FALSE(status.stopping);
  CATCH_CHECK(status.policy == "ssgd");
  CATCH_CHECK(rounds_seen == 5);
  CATCH_CHECK(status.rounds >= 5);
  CATCH_CHECK(status.live == std::vector<std::uint32_t>{0, 1});
  CATCH_CHECK(status.samples_applied >= 5 * 64);
  CATCH_CHECK(fs::exists(checkpoint_file));
  // (CAF's rendering escapes the quotes around the policy's name.)
  CATCH_CHECK(policy_error.find("the policy of a run cannot change while it runs (it is ") !=
              std::string::npos);
  CATCH_CHECK(policy_error.find("ssgd") != std::string::npos);
  CATCH_CHECK(start_error.find("start: the run has already been started (it starts by itself "
                               "unless run_options::start_paused is set)") != std::string::npos);
  CATCH_CHECK(resume_error.find("resume: the run is not paused") != std::string::npos);
  CATCH_INFO("unknown message: " << unknown_error);
  CATCH_CHECK(unknown_error.find("unexpected_message") != std::string::npos);
  auto events = read_events(opts.out_dir);
  CATCH_CHECK(std::any_of(events.begin(), events.end(), [](const json& e) {
    return e["type"] == "checkpoint" && e["reason"] == "request";
  }));
  CATCH_CHECK(std::any_of(events.begin(), events.end(), [](const json& e) {
    return e["type"] == "error" && e["what"] == "unexpected message (\"rewind\", 42) ignored";
  }));
  CATCH_CHECK(json::parse(res.summary_json)["rejected_messages"] == 1);
}

CATCH_TEST_CASE(
  "a program runs hetsgd in its own actor system, starts it paused, pauses and "
  "resumes it",
  "[e2e][embedding]") {
  hetsgd::run_options opts;
  auto cfg = controlled_run("own_system", opts);
  // The program's own system, with hetsgd's message types among its own.
  caf::actor_system_config sys_cfg;
  hetsgd::register_message_types(sys_cfg);
  caf::actor_system sys{sys_cfg};
  const auto running_before = sys.registry().running();
  opts.system = &sys;
  opts.start_paused = true;
  hetsgd::run_status_msg at_start;
  std::string start_twice;
  cycle_report cycle;
  std::thread controller;
  opts.on_started = [&](const caf::actor& run) {
    controller = std::thread([&, run] {
      caf::scoped_actor self{sys};
      const auto deadline = std::chrono::seconds(30);
      self->request(run, deadline, hetsgd::subscribe_atom::value)
        .receive([](bool) {}, [&](caf::error& e) { cycle.failure += "subscribe; "; });
      self->request(run, deadline, hetsgd::status_atom::value)
        .receive([&](hetsgd::run_status_msg& s) { at_start = s; },
                 [&](caf::error& e) { cycle.failure += "status; "; });
      self->request(run, deadline, hetsgd::run_atom::value)
        .receive(
          [](bool) {},
          [&](caf::error& e) { cycle.failure += "start: " + self->system().render(e) + "; "; });
      self->request(run, deadline, hetsgd::run_atom::value)
        .receive([&](bool) { cycle.failure += "started twice; "; },
                 [&](caf::error& e) { start_twice = self->system().render(e); });
      pause_cycle(self, run, cycle, std::chrono::milliseconds(1000));
    });
  };
  auto res = hetsgd::run_training(cfg, opts);
  controller.join();
  CATCH_INFO(cycle.failure);
  CATCH_CHECK(cycle.failure.empty());
  CATCH_CHECK(res.exit_code == 0);
  CATCH_CHECK(res.message == "stopped by request");
  // Every actor of the run is gone, and the program's system is still there.
  CATCH_CHECK(sys.registry().running() == running_before);
  CATCH_CHECK(at_start.paused);
  CATCH_CHECK(at_start.rounds == 0);
  CATCH_CHECK(start_twice.find("start: the run has already been started") != std::string::npos);
  CATCH_CHECK(cycle.pause_twice.find("pause: the run is already paused") != std::string::npos);
  CATCH_CHECK(cycle.resume_twice.find("resume: the run is not paused") != std::string::npos);
  CATCH_CHECK(cycle.in_pause.paused);
  CATCH_CHECK(cycle.in_pause.paused_s >= 1.0);
  CATCH_CHECK(cycle.rounds_in_window <= 1);  // what its pushes in flight closed
  auto summary = json::parse(res.summary_json);
  CATCH_CHECK(summary["pauses"] == 2);
  CATCH_CHECK(summary["paused_s"].get<double>() >= 1.0);
  CATCH_CHECK(summary["paused_s"].get<double>() < summary["elapsed_s"].get<double>());
  auto [controls, rounds_paused] = controls_and_paused_rounds(opts.out_dir);
  CATCH_CHECK(controls == std::vector<std::string>{"pause:start_paused", "resume:start",
                                                   "pause:request", "resume:request"});
  CATCH_CHECK(rounds_paused <= 1);
}

CATCH_TEST_CASE(
  "every policy holds while paused and goes on after the resume, its accounting "
  "exact",
  "[e2e][embedding]") {
  register_line_classifier();
  for (const auto& name : hetsgd::implemented_round_policies()) {
    CATCH_INFO("policy " << name);
    auto sets = own_model_sets;
    sets.push_back("policy.name=\"" + name + "\"");
    sets.push_back("train.max_samples=0");
    sets.push_back("train.max_seconds=120.0");
    sets.push_back("policy.od_sgd.warmup_rounds=2");  // od_sgd's delayed rounds are paused too
    cycle_report cycle;
    std::thread controller;
    auto er = run_embedded("pause_" + name, sets, line_set(), [&](hetsgd::run_options& o) {
      o.on_event = nullptr;
      o.on_started = [&](const caf::actor& run) {
        controller = std::thread([&, run] {
          caf::scoped_actor self{run.home_system()};
          self->request(run, std::chrono::seconds(30), hetsgd::subscribe_atom::value)
            .receive([](bool) {}, [&](caf::error&) { cycle.failure += "subscribe; "; });
          pause_cycle(self, run, cycle, std::chrono::milliseconds(500));
        });
      };
    });
    controller.join();
    CATCH_INFO(cycle.failure << " / " << er.res.message);
    CATCH_CHECK(cycle.failure.empty());
    CATCH_CHECK(er.res.exit_code == 0);
    CATCH_CHECK(cycle.in_pause.paused_s >= 0.5);
    // Two workers: at most one round per push in flight at the pause.
    CATCH_CHECK(cycle.rounds_in_window <= 2);
    auto [controls, rounds_paused] = controls_and_paused_rounds(er.dir);
    CATCH_CHECK(controls == std::vector<std::string>{"pause:request", "resume:request"});
    CATCH_CHECK(rounds_paused <= 2);
    const auto& sm = er.summary;
    CATCH_CHECK(sm["pauses"] == 1);
    CATCH_CHECK(sm["samples_computed"].get<std::uint64_t>() ==
                sm["samples_applied"].get<std::uint64_t>() +
                  sm["samples_dropped"].get<std::uint64_t>() +
                  sm["samples_in_flight_at_end"].get<std::uint64_t>());
  }
}

CATCH_TEST_CASE(
  "early start: replicas start their next job before the release; a new batch plan "
  "discards it, and the accounting stays exact",
  "[e2e][embedding]") {
  register_line_classifier();
  // dbs over Gloo in one process: every epoch (4,000 samples of this data set) brings a new
  // batch plan, so some early jobs are not the job the release asks for.
  auto sets = own_model_sets;
  sets.push_back("policy.name=\"dbs\"");
  sets.push_back("cluster.transport=\"gloo\"");
  sets.push_back("train.max_samples=20000");
  auto early = run_embedded("early_start_dbs", sets, line_set());
  sets.push_back("cluster.early_start=false");
  auto waiting = run_embedded("no_early_start_dbs", sets, line_set());
  for (auto* er : {&early, &waiting}) {
    CATCH_INFO(er->dir << ": " << er->res.message);
    CATCH_REQUIRE(er->res.exit_code == 0);
    const auto& sm = er->summary;
    CATCH_CHECK(sm["samples_computed"].get<std::uint64_t>() ==
                sm["samples_applied"].get<std::uint64_t>() +
                  sm["samples_dropped"].get<std::uint64_t>() +
                  sm["samples_in_flight_at_end"].get<std::uint64_t>());
    CATCH_CHECK(sm["final_accuracy"].get<double>() > 0.9);
    for (auto& e : er->seen) {
      CATCH_CHECK(e["type"] != "resync");  // every replica's step hashed to the aggregator's
      CATCH_CHECK(e["type"] != "collective_failed");
    }
  }
  auto sum_of = [](const json& sm, const char* key) {
    std::uint64_t n = 0;
    for (auto& w : sm["per_worker"])
      n += w[key].get<std::uint64_t>();
    return n;
  };
  auto restarted = [](const json& sm) {
    std::uint64_t n = 0;
    for (auto& w : sm["per_worker"])
      n += w["dropped"]["restarted"].get<std::uint64_t>();
    return n;
  };
  // Most jobs start early; the ones a new plan overtook are dropped as restarted.
  CATCH_CHECK(sum_of(early.summary, "early_jobs") > early.summary["rounds"].get<std::uint64_t>());
  CATCH_CHECK(restarted(early.summary) > 0);
  CATCH_CHECK(sum_of(waiting.summary, "early_jobs") == 0);
  CATCH_CHECK(restarted(waiting.summary) == 0);
}
