// The simulated clock end to end (issue 5): real training, modelled time. Runs are reproducible
// byte for byte, every fault kind plays in virtual time, and the simulator agrees with cases
// whose answer is known in closed form (ssgd's round time, backup's K-th fastest, asgd's order
// of finishing). Stalls and clusters too big for memory end with a diagnosis.
#include "e2e_support.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "actors/memory_budget.hpp"
#include "gpu/flat_parameters.hpp"
#include "gpu/models.hpp"

using namespace e2e;
using nlohmann::json;

namespace {

/// base_rate is given, so nothing is measured: virtual times depend on the config alone.
const std::vector<std::string> simulated = {"cluster.clock=simulated", "cluster.base_rate=4000",
                                            "cluster.request_timeout_s=30"};

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

/// Every fault kind, in virtual seconds.
const char* all_fault_kinds =
  "faults=["
  "{kind=\"slowdown\", worker=3, at_s=0.5, duration_s=1.5, factor=4.0},"
  "{kind=\"pause\", worker=2, at_s=0.5, duration_s=1.0},"
  "{kind=\"crash\", worker=1, at_s=1.0},"
  "{kind=\"nan\", worker=0, at_s=1.0, duration_s=1.0},"
  "{kind=\"rejoin\", worker=1, at_s=1.5},"
  "{kind=\"delay\", worker=2, at_s=0.2, duration_s=1.0, delay_s=0.01},"
  "{kind=\"drop\", worker=0, at_s=2.0, duration_s=1.0, probability=0.2},"
  "{kind=\"slow_link\", worker=3, at_s=0.3, duration_s=1.0, bandwidth_mb_s=20.0},"
  "{kind=\"disturbance\", at_s=0.0, probability=0.3, factor=3.0, max_epochs=1}]";

/// trace.json opens in chrome://tracing and Perfetto: a JSON array of complete ("X"), async
/// ("b"/"e", matched by id), instant ("i") and metadata ("M") events; on every track the complete
/// spans nest or follow each other, never overlap partly (a viewer would draw them wrong).
/// Returns the span names seen per track.
std::map<int, std::set<std::string>> check_trace(const std::string& dir) {
  const auto trace = json::parse(file_bytes(dir + "/trace.json"));
  CATCH_REQUIRE(trace.is_array());
  std::map<int, std::vector<std::pair<double, double>>> spans;
  std::map<int, std::set<std::string>> names;
  std::map<std::uint64_t, double> open_async;  // id → begin
  for (const auto& e : trace) {
    const auto ph = e.at("ph").get<std::string>();
    CATCH_REQUIRE((ph == "X" || ph == "b" || ph == "e" || ph == "i" || ph == "M"));
    if (ph == "M")
      continue;
    CATCH_REQUIRE(e.at("ts").get<double>() >= 0.0);
    if (ph == "b") {
      open_async[e.at("id").get<std::uint64_t>()] = e.at("ts").get<double>();
      names[e.at("tid").get<int>()].insert(e.at("name").get<std::string>());
    }
    if (ph == "e") {
      auto it = open_async.find(e.at("id").get<std::uint64_t>());
      CATCH_REQUIRE(it != open_async.end());
      CATCH_CHECK(e.at("ts").get<double>() > it->second);
      open_async.erase(it);
    }
    if (ph == "X") {
      const double b = e.at("ts").get<double>();
      const double d = e.at("dur").get<double>();
      CATCH_REQUIRE(d > 0.0);
      spans[e.at("tid").get<int>()].emplace_back(b, b + d);
      names[e.at("tid").get<int>()].insert(e.at("name").get<std::string>());
    }
  }
  for (auto& [track, list] : spans) {
    std::sort(list.begin(), list.end(), [](auto& x, auto& y) {
      return x.first < y.first || (x.first == y.first && x.second > y.second);
    });
    std::vector<double> open;  // ends of the enclosing spans
    for (auto [b, e] : list) {
      while (!open.empty() && open.back() <= b + 1e-3)
        open.pop_back();
      CATCH_INFO("track " << track << " span [" << b << ", " << e << "] us");
      CATCH_CHECK((open.empty() || e <= open.back() + 1e-3));
      open.push_back(e);
    }
  }
  CATCH_CHECK(open_async.empty());
  return names;
}

void reproducible_under_every_fault(const std::string& policy) {
  const auto sets =
    plus(simulated, {"policy.name=" + policy, "train.max_samples=0", "train.max_seconds=4",
                     "policy.od_sgd.warmup_rounds=20", "simulation.noise=shifted_exponential",
                     "simulation.noise_mean=0.3", "network.latency_s=0.001", all_fault_kinds});
  auto a = run("sim_a_" + policy, sets);
  auto b = run("sim_b_" + policy, sets);
  CATCH_INFO(policy << ": " << a.res.message << " / " << b.res.message);
  CATCH_REQUIRE(a.res.exit_code == 0);
  CATCH_REQUIRE(b.res.exit_code == 0);
  check_common_outputs(a);  // includes computed = applied + dropped + in flight, exactly
  CATCH_CHECK(a.summary["clock"] == "simulated");
  CATCH_CHECK(a.summary["elapsed_s"].get<double>() == Approx(4.0).margin(0.5));
  CATCH_CHECK(std::isfinite(a.summary["final_loss"].get<double>()));
  // Above chance (0.1): synchronous policies get only a few rounds through this schedule in
  // 4 virtual seconds (the real-clock fault tests check that every policy learns well).
  CATCH_CHECK(a.summary["final_accuracy"].get<double>() > 0.2);
  // Byte-identical files, run after run.
  for (auto f : {"events.jsonl", "metrics.csv", "summary.json", "trace.json"}) {
    CATCH_INFO(f);
    const auto first = file_bytes(a.dir + "/" + f);
    CATCH_CHECK(first.size() > 0);
    CATCH_CHECK(first == file_bytes(b.dir + "/" + f));
  }
  // Every kind played, in virtual time.
  std::set<std::string> started;
  for (auto& e : a.events)
    if (e["type"] == "fault" && e["phase"] == "start")
      started.insert(e["kind"].get<std::string>());
  CATCH_CHECK(started == std::set<std::string>{"slowdown", "pause", "crash", "nan", "rejoin",
                                               "delay", "drop", "slow_link", "disturbance"});
  CATCH_CHECK(a.summary["per_worker"][1]["incarnations"] == 2);
  // The timeline shows every worker computing, worker 2's pause, and transfers on the links the
  // faults slowed (which workers push then depends on the policy).
  auto tracks = check_trace(a.dir);
  std::set<std::string> all;
  for (int track = 1; track <= 4; ++track) {
    CATCH_CHECK(tracks[track].count("compute") == 1);
    all.insert(tracks[track].begin(), tracks[track].end());
  }
  CATCH_CHECK(tracks[3].count("paused") == 1);
  CATCH_CHECK((all.count("push") + all.count("answer")) > 0);
  // Measured figures live apart, in wall.json; none is in the reproducible summary.
  CATCH_CHECK_FALSE(a.summary["control"].contains("aggregator_busy_s"));
  const auto wall = json::parse(file_bytes(a.dir + "/wall.json"));
  CATCH_CHECK(wall["clock"] == "simulated");
  CATCH_CHECK(wall["wall_s"].get<double>() > 0.0);
  CATCH_CHECK(wall["aggregator_busy_s"].get<double>() > 0.0);
}

/// Parameters of the e2e model, for the bytes a transfer carries (float32).
double model_bytes() {
  auto model = hetsgd::make_model("mlp", 7);
  return 4.0 * static_cast<double>(hetsgd::flatten_parameters(*model).numel());
}

std::vector<json> rounds_of(const finished_run& fr) {
  std::vector<json> out;
  for (auto& e : fr.events)
    if (e["type"] == "round")
      out.push_back(e);
  return out;
}

}  // namespace

CATCH_TEST_CASE("simulated: ssgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("ssgd");
}
CATCH_TEST_CASE("simulated: asgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("asgd");
}
CATCH_TEST_CASE("simulated: ssp is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("ssp");
}
CATCH_TEST_CASE("simulated: backup is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("backup");
}
CATCH_TEST_CASE("simulated: local_sgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("local_sgd");
}
CATCH_TEST_CASE("simulated: abs is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("abs");
}
CATCH_TEST_CASE("simulated: abs_sgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("abs_sgd");
}
CATCH_TEST_CASE("simulated: od_sgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("od_sgd");
}
CATCH_TEST_CASE("simulated: wp_sgd is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("wp_sgd");
}
CATCH_TEST_CASE("simulated: dbs is reproducible byte for byte under every fault kind",
                "[e2e][simulated]") {
  reproducible_under_every_fault("dbs");
}

CATCH_TEST_CASE("simulated: ssgd's round takes the slowest worker's batch plus the transfers",
                "[e2e][simulated][closed_form]") {
  // Slowest worker 0.25 × 1000 samples/s: a 32-sample micro-batch takes 0.128 s, a 64-sample
  // batch two of them. Each way, a transfer takes latency + bytes / bandwidth.
  const double latency = 0.005, bandwidth = 50e6;
  auto fr = run("sim_ssgd_closed",
                {"cluster.clock=simulated", "cluster.base_rate=1000", "network.latency_s=0.005",
                 "network.bandwidth_mb_s=50", "train.max_samples=5120"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  const double compute = 2 * 32 / (1000 * 0.25);
  const double transfer = latency + model_bytes() / bandwidth;
  const auto rounds = rounds_of(fr);
  CATCH_REQUIRE(rounds.size() == 20);
  // The first round needs no release: the workers start with the weights they joined with.
  CATCH_CHECK(rounds[0]["t"].get<double>() == Approx(compute + transfer).margin(1e-6));
  for (std::size_t r = 1; r < rounds.size(); ++r) {
    CATCH_INFO("round " << r + 1);
    CATCH_CHECK(rounds[r]["t"].get<double>() - rounds[r - 1]["t"].get<double>() ==
                Approx(compute + 2 * transfer).margin(1e-6));
    CATCH_CHECK(rounds[r]["participants"].size() == 4);
  }
}

CATCH_TEST_CASE("simulated: backup with K of N closes each round at the K-th fastest time",
                "[e2e][simulated][closed_form]") {
  // Constant distinct speeds; K = 2: the second fastest (0.8) finishes a 64-sample batch in
  // 64 / 800 = 0.08 s, and everybody starts the next round then.
  auto fr = run(
    "sim_backup_closed",
    {"cluster.clock=simulated", "cluster.base_rate=1000", "cluster.speeds=[1.0, 0.8, 0.5, 0.25]",
     "policy.name=backup", "policy.backup.k=2", "train.max_samples=0", "train.max_seconds=2.01"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  const auto rounds = rounds_of(fr);
  CATCH_REQUIRE(rounds.size() == 25);
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    CATCH_INFO("round " << r + 1);
    CATCH_CHECK(rounds[r]["t"].get<double>() == Approx(0.08 * (r + 1)).margin(1e-6));
    std::set<int> who;
    for (auto& p : rounds[r]["participants"])
      who.insert(p.get<int>());
    CATCH_CHECK(who == std::set<int>{0, 1});
  }
}

CATCH_TEST_CASE("simulated: asgd applies contributions in the order they finish",
                "[e2e][simulated][closed_form]") {
  // Worker i finishes its k-th 64-sample batch at k × 64 / (1000 × speed_i): speeds with no
  // common small ratio, so no two finish at the same instant within the run.
  const std::vector<double> speeds{1.0, 0.73, 0.41, 0.29};
  auto fr = run("sim_asgd_closed", {"cluster.clock=simulated", "cluster.base_rate=1000",
                                    "cluster.speeds=[1.0, 0.73, 0.41, 0.29]", "policy.name=asgd",
                                    "train.max_samples=0", "train.max_seconds=1.0"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  std::vector<std::tuple<double, int>> expected;
  for (int w = 0; w < 4; ++w)
    for (int k = 1; k * 64 / (1000 * speeds[w]) < 0.95; ++k)
      expected.emplace_back(k * 64 / (1000 * speeds[w]), w);
  std::sort(expected.begin(), expected.end());
  const auto rounds = rounds_of(fr);
  CATCH_REQUIRE(rounds.size() >= expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CATCH_INFO("contribution " << i + 1);
    CATCH_REQUIRE(rounds[i]["participants"].size() == 1);
    CATCH_CHECK(rounds[i]["participants"][0].get<int>() == std::get<1>(expected[i]));
    CATCH_CHECK(rounds[i]["t"].get<double>() == Approx(std::get<0>(expected[i])).margin(1e-6));
  }
}

CATCH_TEST_CASE("simulated: a run that stops making progress ends with a diagnosis",
                "[e2e][simulated]") {
  // Every worker frozen for good: nothing is ever computed again.
  auto fr = run("sim_stall", plus(simulated, {"train.max_seconds=0", "simulation.stall_s=30",
                                              "faults=[{kind=\"pause\", worker=0, at_s=0.1},"
                                              "{kind=\"pause\", worker=1, at_s=0.1},"
                                              "{kind=\"pause\", worker=2, at_s=0.1},"
                                              "{kind=\"pause\", worker=3, at_s=0.1}]"}));
  CATCH_CHECK(fr.res.exit_code == 1);
  CATCH_CHECK_THAT(fr.res.message,
                   Catch::Contains("stalled") && Catch::Contains("simulation.stall_s"));
}

CATCH_TEST_CASE("a cluster that does not fit in memory is refused before it starts",
                "[e2e][simulated]") {
  std::string effective;
  auto cfg = load(simulated, &effective);
  cfg.cluster.workers = 512;
  cfg.cluster.speeds.assign(512, 1.0);
  hetsgd::run_options opts;
  opts.out_dir = fresh_dir("sim_memory");
  opts.effective_toml = effective;
  opts.memory_budget_bytes = 256ull << 20;  // 256 MiB for 512 MLP workers: about 2 GiB needed
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_CHECK(res.exit_code == 2);
  CATCH_CHECK_THAT(res.message, Catch::StartsWith("cluster.workers: 512 workers of the mlp need") &&
                                  Catch::Contains("memory budget is 256 MiB"));
  CATCH_CHECK(res.summary_json.empty());
}

CATCH_TEST_CASE("simulated: 128 workers share one data set and stay within the memory estimate",
                "[e2e][simulated]") {
  std::string effective;
  auto cfg =
    load(plus(simulated, {"train.max_samples=16384", "train.eval_every_s=10"}), &effective);
  cfg.cluster.workers = 128;
  cfg.cluster.speeds.clear();
  for (int i = 0; i < 128; ++i)
    cfg.cluster.speeds.push_back(i % 2 ? 1.0 : 0.5);
  hetsgd::run_options opts;
  opts.out_dir = fresh_dir("sim_128");
  opts.effective_toml = effective;
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_INFO(res.message);
  CATCH_REQUIRE(res.exit_code == 0);
  auto s = json::parse(res.summary_json);
  CATCH_CHECK(s["rounds"] == 2);  // 16,384 samples = 2 rounds of 128 × 64
  CATCH_CHECK(s["samples_applied"] == 16384);
  CATCH_CHECK(s["per_worker"].size() == 128);
  // Round time: the 0.5-speed workers' 64 samples at 2,000 samples/s.
  CATCH_CHECK(s["elapsed_s"].get<double>() == Approx(2 * 64 / 2000.0).margin(1e-6));
  // What the refusal estimates per worker covers what a worker really took: the whole process
  // (LibTorch, the shared data set, 128 workers) stays below 1 GiB + 128 estimates.
  auto model = hetsgd::make_model("mlp", 7);
  const auto per_worker =
    hetsgd::worker_memory_bytes(hetsgd::flatten_parameters(*model).numel(), 60000, 128);
  const auto wall = json::parse(file_bytes(opts.out_dir + "/wall.json"));
  CATCH_CHECK(wall["peak_rss_bytes"].get<std::uint64_t>() < (1ull << 30) + 128 * per_worker);
}
