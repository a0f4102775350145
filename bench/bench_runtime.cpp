/// Runtime benchmarks, written as JSON under bench/results/:
///  compute  — one hetsgd worker (speed 1, one thread) against a plain LibTorch loop training the
///             same model on the same machine, run alternately side by side; ratio of medians.
///  overhead — the actor layer's control overhead per round at 4 workers: aggregator handling +
///             push and release message latency, as a fraction of round time.
///  policies — every policy on the same data, seed and speeds [1, 1, 0.5, 0.25]: time to the
///             target accuracy, final accuracy, utilization, rounds, samples dropped (one JSON
///             line per policy), and the papers' headline claims as ratios (policy_claims.json).
///  links    — a few policies on a clean, a lossy (drop) and a slow (delay) network: elapsed
///             time for the same work, and what the link recovery did
///  faults   — every policy with and without one crash (+ rejoin) and one 4x slowdown: accuracy
///             and time to target side by side, crash-detection and rejoin latencies.
///  sim_scale — N = 16 … 1024 simulated workers: aggregator cost per round, memory, wall seconds
///             per simulated second (bench/sim_scale.hpp).
///  stragglers — the straggler matrix: k stragglers × slowdown × policy, in virtual time
///             (bench/straggler_matrix.hpp).
///  collectives — all-reduce busbw sweep, hetsgd's Gloo against torch gloo (bench/collectives.hpp).
///  detection — worker processes killed (SIGKILL) and frozen (SIGSTOP): time until the aggregator
///             sees it, and until they rejoin (bench/failure_detection.hpp).
/// Nothing here asserts a speed; the numbers are for people and for before/after comparisons.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "actors/training_run.hpp"
#include "bench/bench_json.hpp"
#include "bench/collectives.hpp"
#include "bench/failure_detection.hpp"
#include "bench/plain_loop.hpp"
#include "bench/sim_scale.hpp"
#include "bench/straggler_matrix.hpp"
#include "config/config_loader.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/solo_throughput.hpp"
#include "gpu/torch_threads.hpp"

namespace {

using hetsgd::bench::header;
using hetsgd::bench::load;
using hetsgd::bench::median;
using hetsgd::bench::write;
using nlohmann::json;

json run_once(const hetsgd::loaded_config& lc,
              const std::shared_ptr<const hetsgd::fashion_mnist>& data, double solo,
              const std::string& out_dir) {
  hetsgd::run_options opts;
  opts.out_dir = out_dir;
  opts.effective_toml = lc.effective_toml;
  opts.data = data;
  opts.solo_samples_per_s = solo;
  auto res = hetsgd::run_training(lc.cfg, opts);
  if (res.exit_code != 0)
    throw std::runtime_error("hetsgd run failed: " + res.message);
  return json::parse(res.summary_json);
}

/// The data set and the solo rate of `model`, measured once per benchmark as a run would (4
/// workers of speeds summing to 2.75 oversubscribe this machine, so they are paced to a share
/// of it).
struct measured_setup {
  std::shared_ptr<const hetsgd::fashion_mnist> data;
  double solo_samples_per_s = 0.0;
};

measured_setup measure_setup(const hetsgd::loaded_config& lc, const std::string& model) {
  measured_setup m;
  m.data = hetsgd::shared_fashion_mnist(lc.cfg.data.path);
  hetsgd::pin_compute_threads_to_one();
  m.solo_samples_per_s = hetsgd::measure_solo_throughput(
    model, m.data->train, lc.cfg.train.micro_batch, 1.0, lc.cfg.run.seed);
  return m;
}

int bench_compute(const std::string& config, const std::string& model, int reps, double seconds,
                  const std::string& commit, const std::string& out) {
  hetsgd::pin_compute_threads_to_one();
  // One worker at full speed, one micro-batch per job, so the runtime does exactly the plain
  // loop's work plus its own: messages, flat weights, the aggregator's optimizer step.
  auto lc =
    load(config, {"model.name=" + model, "cluster.workers=1", "cluster.speeds=[1.0]",
                  "policy.name=ssgd", "train.batch=64", "train.micro_batch=64",
                  "train.max_samples=0", "train.max_seconds=" + std::to_string(seconds),
                  "train.eval_every_s=100000", "output.plots=false", "output.progress_every_s=0"});
  auto data = hetsgd::shared_fashion_mnist(lc.cfg.data.path);
  std::vector<double> plain, kernel, runtime, runtime_compute_only;
  for (int r = 0; r < reps; ++r) {
    plain.push_back(hetsgd::bench::plain_libtorch_loop_samples_per_s(model, data->train, 64,
                                                                     seconds, lc.cfg.run.seed));
    // hetsgd's compute kernel alone (accumulate_gradients on one thread, no actors, no update).
    kernel.push_back(
      hetsgd::measure_solo_throughput(model, data->train, 64, seconds / 2, lc.cfg.run.seed));
    auto s = run_once(lc, data, 1.0, "/tmp/hetsgd_bench_compute");
    double applied = s["samples_applied"].get<double>();
    runtime.push_back(applied / s["elapsed_s"].get<double>());
    runtime_compute_only.push_back(s["per_worker"][0]["samples"].get<double>() /
                                   s["per_worker"][0]["compute_s"].get<double>());
    std::cerr << "rep " << r << ": plain " << plain.back() << " samples/s, kernel " << kernel.back()
              << ", hetsgd " << runtime.back() << " (pure compute " << runtime_compute_only.back()
              << ")\n";
  }
  auto j = header("compute", commit, lc);
  j["description"] =
    "samples/s of one hetsgd worker end to end (samples applied / elapsed) vs a plain LibTorch "
    "loop, same model, batch 64, one thread; alternating runs";
  j["batch"] = 64;
  j["seconds_per_run"] = seconds;
  j["plain_samples_per_s"] = plain;
  j["kernel_samples_per_s"] = kernel;
  j["hetsgd_samples_per_s"] = runtime;
  j["hetsgd_pure_compute_samples_per_s"] = runtime_compute_only;
  j["plain_median"] = median(plain);
  j["hetsgd_median"] = median(runtime);
  j["ratio"] = median(runtime) / median(plain);
  j["target_ratio"] = 0.90;
  write(j, out);
  return 0;
}

int bench_overhead(const std::string& config, const std::string& model, int reps, double seconds,
                   const std::string& commit, const std::string& out) {
  auto lc =
    load(config,
         {"model.name=" + model, "cluster.workers=4", "cluster.speeds=[1.0,1.0,0.5,0.25]",
          "policy.name=ssgd", "train.max_samples=0", "train.max_seconds=" + std::to_string(seconds),
          "train.eval_every_s=100000", "output.plots=false", "output.progress_every_s=0"});
  const auto setup = measure_setup(lc, model);
  const double solo = setup.solo_samples_per_s;
  json runs = json::array();
  std::vector<double> fractions;
  for (int r = 0; r < reps; ++r) {
    auto s = run_once(lc, setup.data, solo, "/tmp/hetsgd_bench_overhead");
    double rounds = s["rounds"].get<double>();
    double round_s = s["elapsed_s"].get<double>() / std::max(1.0, rounds);
    double busy_per_round = s["control"]["aggregator_busy_s"].get<double>() / std::max(1.0, rounds);
    fractions.push_back(s["control"]["overhead_fraction"].get<double>());
    auto& c = s["control"];
    runs.push_back({{"rounds", rounds},
                    {"round_s", round_s},
                    {"base_rate", s["base_rate"]},
                    {"aggregator_cpu_per_round_s", busy_per_round},
                    {"aggregator_wall_per_round_s",
                     c["aggregator_wall_s"].get<double>() / std::max(1.0, rounds)},
                    {"push_latency_mean_s", c["push_latency_mean_s"]},
                    {"release_latency_mean_s", c["release_latency_mean_s"]},
                    {"release_cpu_wait_mean_s", c["release_cpu_wait_mean_s"]},
                    {"overhead_fraction_with_cpu_wait", c["overhead_fraction_with_cpu_wait"]},
                    {"aggregator_cpu_fraction", busy_per_round / round_s},
                    {"overhead_fraction", fractions.back()}});
    std::cerr << "rep " << r << ": overhead " << 100.0 * fractions.back() << " % of "
              << round_s * 1e3 << " ms rounds\n";
  }
  auto j = header("round_overhead", commit, lc);
  j["description"] =
    "control overhead per round at 4 workers under ssgd: (aggregator handling CPU time + mean "
    "push latency + mean release latency) / round time. The release latency excludes the time "
    "a woken worker waited for a free core (schedstat run_delay; 4 worker threads on this "
    "machine's cores); overhead_fraction_with_cpu_wait includes it";
  j["workers"] = 4;
  j["solo_samples_per_s"] = solo;
  j["runs"] = runs;
  j["overhead_fraction_median"] = median(fractions);
  std::vector<double> cpu_fractions;
  for (auto& r : runs)
    cpu_fractions.push_back(r["aggregator_cpu_fraction"].get<double>());
  j["aggregator_cpu_fraction_median"] = median(cpu_fractions);
  std::vector<double> with_wait;
  for (auto& r : runs)
    with_wait.push_back(r["overhead_fraction_with_cpu_wait"].get<double>());
  j["overhead_fraction_with_cpu_wait_median"] = median(with_wait);
  j["target_fraction"] = 0.01;
  write(j, out);
  return 0;
}

/// First evaluation in a run's metrics.csv whose accuracy reached `target`: its version, i.e.
/// the rounds applied by then (every policy applies one update per round). -1 if never.
double rounds_to_target(const std::string& run_dir, double target) {
  std::ifstream f(run_dir + "/metrics.csv");
  std::string line;
  std::getline(f, line);  // time_s,samples_applied,test_accuracy,test_loss,version
  while (std::getline(f, line)) {
    std::stringstream row(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(row, cell, ','))
      v.push_back(std::stod(cell));
    if (v.size() >= 5 && v[2] >= target)
      return v[4];
  }
  return -1.0;
}

/// The policy-comparison cluster: `policy` on 4 MLP/CNN workers of speeds [1, 1, 0.5, 0.25] for
/// `seconds`, test accuracy every 0.5 s against `target`.
std::vector<std::string> comparison_sets(const std::string& model, const std::string& policy,
                                         double seconds, double target) {
  return {"model.name=" + model,
          "policy.name=" + policy,
          "cluster.workers=4",
          "cluster.speeds=[1.0,1.0,0.5,0.25]",
          "train.max_samples=0",
          "train.max_seconds=" + std::to_string(seconds),
          "train.target_accuracy=" + std::to_string(target),
          "train.eval_every_s=0.5",
          "output.plots=false",
          "output.progress_every_s=0"};
}

/// The same cluster (data, seed, speeds [1, 1, 0.5, 0.25]) under each policy, one JSON line per
/// policy, and the papers' headline claims as ratios in a second file.
int bench_policies(const std::string& config, const std::string& model, double seconds,
                   double target, const std::vector<std::string>& policies,
                   const std::string& commit, const std::string& out) {
  auto base = load(config, {"model.name=" + model});
  const auto setup = measure_setup(base, model);
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream lines(out);
  std::map<std::string, json> by_policy;
  for (const auto& policy : policies) {
    auto lc = load(config, comparison_sets(model, policy, seconds, target));
    const std::string dir = "/tmp/hetsgd_bench_policies/" + policy;
    std::filesystem::remove_all(dir);
    auto j = header("policy_comparison", commit, lc);
    j["policy"] = policy;
    j["speeds"] = lc.cfg.cluster.speeds;
    j["target_accuracy"] = target;
    j["max_seconds"] = seconds;
    try {
      auto s = run_once(lc, setup.data, setup.solo_samples_per_s, dir);
      j["time_to_target_s"] = s["time_to_target_s"];
      j["final_accuracy"] = s["final_accuracy"];
      j["utilization"] = s["utilization"];
      j["rounds"] = s["rounds"];
      double r = rounds_to_target(dir, target);
      j["rounds_to_target"] = r < 0 ? json(nullptr) : json(r);
      j["samples_dropped"] = s["samples_dropped"];
      j["samples_applied"] = s["samples_applied"];
      j["elapsed_s"] = s["elapsed_s"];
      j["base_rate"] = s["base_rate"];
      j["error"] = nullptr;
    } catch (const std::exception& e) {
      j["error"] = e.what();
    }
    std::cerr << policy << ": " << j.dump() << "\n";
    lines << j.dump() << "\n";
    by_policy[policy] = j;
  }
  // The claims: ratios of times (or rounds) to the target; null where a side never reached it.
  auto ratio = [&](const std::string& num_key, const std::string& a, const std::string& b) -> json {
    if (!by_policy.count(a) || !by_policy.count(b))
      return nullptr;
    auto& x = by_policy[a][num_key];
    auto& y = by_policy[b][num_key];
    if (!x.is_number() || !y.is_number() || x.get<double>() <= 0.0)
      return nullptr;
    return y.get<double>() / x.get<double>();
  };
  std::string best;
  for (auto b : {"ssgd", "asgd", "ssp", "backup", "local_sgd"})
    if (by_policy.count(b) && by_policy[b]["time_to_target_s"].is_number() &&
        (best.empty() || by_policy[b]["time_to_target_s"].get<double>() <
                           by_policy[best]["time_to_target_s"].get<double>()))
      best = b;
  json claims = header("policy_claims", commit, base);
  claims["target_accuracy"] = target;
  claims["best_baseline"] = best.empty() ? json(nullptr) : json(best);
  claims["abs_sgd_speedup_vs_best_baseline"] =
    best.empty() ? json(nullptr) : ratio("time_to_target_s", "abs_sgd", best);
  claims["abs_sgd_goal"] = 1.30;
  claims["dbs_speedup_vs_ssgd"] = ratio("time_to_target_s", "dbs", "ssgd");
  claims["dbs_final_accuracy_minus_ssgd"] =
    by_policy.count("dbs") && by_policy.count("ssgd") &&
        by_policy["dbs"]["final_accuracy"].is_number() &&
        by_policy["ssgd"]["final_accuracy"].is_number()
      ? json(by_policy["dbs"]["final_accuracy"].get<double>() -
             by_policy["ssgd"]["final_accuracy"].get<double>())
      : json(nullptr);
  claims["abs_rounds_ratio_backup_over_abs"] = ratio("rounds_to_target", "abs", "backup");
  claims["abs_rounds_ratio_local_sgd_over_abs"] = ratio("rounds_to_target", "abs", "local_sgd");
  auto claims_path = std::filesystem::path(out).parent_path() / "policy_claims.json";
  write(claims, claims_path.string());
  return 0;
}

/// Times read back from a run's events.jsonl: crash → membership change (detection), and
/// rejoin → first round with a non-empty contribution of that worker. -1 when absent.
struct fault_timings {
  double detection_s = -1.0;
  double rejoin_to_contribution_s = -1.0;
};

fault_timings read_fault_timings(const std::string& run_dir, int crashed, int rejoined) {
  fault_timings t;
  double crash_at = -1.0, rejoin_at = -1.0;
  std::ifstream f(run_dir + "/events.jsonl");
  std::string line;
  while (std::getline(f, line)) {
    auto e = json::parse(line);
    const auto type = e.value("type", "");
    if (type == "fault" && e.value("phase", "") == "start") {
      if (e.value("kind", "") == "crash" && e.value("worker", -1) == crashed)
        crash_at = e["t"].get<double>();
      if (e.value("kind", "") == "rejoin" && e.value("worker", -1) == rejoined)
        rejoin_at = e["t"].get<double>();
    } else if (type == "membership" && e.value("change", "") == "left" &&
               e.value("worker", -1) == crashed && crash_at >= 0.0 && t.detection_s < 0.0) {
      t.detection_s = e["t"].get<double>() - crash_at;
    } else if (type == "round" && rejoin_at >= 0.0 && t.rejoin_to_contribution_s < 0.0) {
      auto& p = e["participants"];
      for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i] == rejoined && e["worker_samples"][i].get<double>() > 0.0)
          t.rejoin_to_contribution_s = e["t"].get<double>() - rejoin_at;
    }
  }
  return t;
}

/// Every policy with and without one crash (worker 1, rejoining later) and one 4x slowdown
/// (worker 0, a fast one): accuracy and time to target side by side, and the crash-detection and
/// rejoin latencies, one JSON line per policy.
int bench_faults(const std::string& config, const std::string& model, double seconds, double target,
                 const std::vector<std::string>& policies, const std::string& commit,
                 const std::string& out) {
  auto base = load(config, {"model.name=" + model});
  const auto setup = measure_setup(base, model);
  const double crash_at = 0.25 * seconds, rejoin_at = 0.5 * seconds;
  const std::string schedule =
    "faults=[{kind=\"crash\", worker=1, at_s=" + std::to_string(crash_at) +
    "}, {kind=\"rejoin\", worker=1, at_s=" + std::to_string(rejoin_at) +
    "}, {kind=\"slowdown\", worker=0, at_s=" + std::to_string(crash_at) +
    ", duration_s=" + std::to_string(0.5 * seconds) + ", factor=4.0}]";
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream lines(out);
  for (const auto& policy : policies) {
    auto sets = comparison_sets(model, policy, seconds, target);
    auto clean = load(config, sets);
    sets.push_back(schedule);
    auto faulty = load(config, sets);
    auto j = header("faults", commit, faulty);
    j["policy"] = policy;
    j["schedule"] = schedule;
    j["target_accuracy"] = target;
    j["max_seconds"] = seconds;
    try {
      const std::string dir = "/tmp/hetsgd_bench_faults/" + policy;
      std::filesystem::remove_all(dir);
      std::filesystem::remove_all(dir + "_clean");
      auto c = run_once(clean, setup.data, setup.solo_samples_per_s, dir + "_clean");
      auto f = run_once(faulty, setup.data, setup.solo_samples_per_s, dir);
      auto t = read_fault_timings(dir, 1, 1);
      j["without_faults"] = {{"time_to_target_s", c["time_to_target_s"]},
                             {"final_accuracy", c["final_accuracy"]},
                             {"rounds", c["rounds"]}};
      j["with_faults"] = {{"time_to_target_s", f["time_to_target_s"]},
                          {"final_accuracy", f["final_accuracy"]},
                          {"rounds", f["rounds"]},
                          {"samples_dropped", f["samples_dropped"]}};
      j["crash_detection_s"] = t.detection_s < 0 ? json(nullptr) : json(t.detection_s);
      j["rejoin_to_first_contribution_s"] =
        t.rejoin_to_contribution_s < 0 ? json(nullptr) : json(t.rejoin_to_contribution_s);
      j["error"] = nullptr;
    } catch (const std::exception& e) {
      j["error"] = e.what();
    }
    std::cerr << policy << ": " << j.dump() << "\n";
    lines << j.dump() << "\n";
  }
  return 0;
}

/// The cost of a misbehaving network: each policy does the same work (a fixed number of samples)
/// on a clean network, with every link losing `drop` of its bulk messages (recovered by probes
/// after cluster.link_probe_s), and with every link adding `delay_s`. One JSON line per policy:
/// elapsed seconds of each, their ratios to the clean run, and what the link recovery did.
int bench_links(const std::string& config, const std::string& model, std::int64_t samples,
                double drop, double delay_s, double probe_s,
                const std::vector<std::string>& policies, const std::string& commit,
                const std::string& out) {
  auto base = load(config, {"model.name=" + model});
  const auto setup = measure_setup(base, model);
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream lines(out);
  const std::map<std::string, std::string> variants{
    {"clean", "faults=[]"},
    {"drop", "faults=[{kind=\"drop\", probability=" + std::to_string(drop) + "}]"},
    {"delay", "faults=[{kind=\"delay\", delay_s=" + std::to_string(delay_s) + "}]"}};
  for (const auto& policy : policies) {
    auto sets = comparison_sets(model, policy, 0.0, 0.99);
    sets.push_back("train.max_samples=" + std::to_string(samples));
    sets.push_back("cluster.link_probe_s=" + std::to_string(probe_s));
    json j;
    try {
      std::map<std::string, json> runs;
      for (const auto& [name, faults] : variants) {
        auto with = sets;
        with.push_back(faults);
        auto lc = load(config, with);
        if (j.is_null())
          j = header("links", commit, lc);
        const std::string dir = "/tmp/hetsgd_bench_links/" + policy + "_" + name;
        std::filesystem::remove_all(dir);
        auto r = run_once(lc, setup.data, setup.solo_samples_per_s, dir);
        json link = {{"lost", 0}, {"retransmits", 0}, {"answers_resent", 0}};
        for (auto& w : r["per_worker"])
          for (auto& [k, v] : link.items())
            v = v.get<std::uint64_t>() + w["link"][k].get<std::uint64_t>();
        const bool exact = r["samples_computed"].get<std::uint64_t>() ==
                           r["samples_applied"].get<std::uint64_t>() +
                             r["samples_dropped"].get<std::uint64_t>() +
                             r["samples_in_flight_at_end"].get<std::uint64_t>();
        runs[name] = {{"elapsed_s", r["elapsed_s"]},
                      {"rounds", r["rounds"]},
                      {"final_accuracy", r["final_accuracy"]},
                      {"link", link},
                      {"accounting_exact", exact}};
      }
      j["policy"] = policy;
      j["samples"] = samples;
      j["drop_probability"] = drop;
      j["delay_s"] = delay_s;
      j["link_probe_s"] = probe_s;
      j["runs"] = runs;
      const double clean_s = runs["clean"]["elapsed_s"].get<double>();
      j["drop_slowdown"] = runs["drop"]["elapsed_s"].get<double>() / clean_s;
      j["delay_slowdown"] = runs["delay"]["elapsed_s"].get<double>() / clean_s;
      j["error"] = nullptr;
    } catch (const std::exception& e) {
      j["policy"] = policy;
      j["error"] = e.what();
    }
    std::cerr << policy << ": " << j.dump() << "\n";
    lines << j.dump() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hetsgd runtime benchmarks (JSON out)"};
  app.require_subcommand(1);
  std::string config = "config/examples/default.toml";
  std::string model = "cnn";
  std::string commit = "unknown";
  std::string out;
  int reps = 3;
  double seconds = 8.0;
  for (auto* sc : {app.add_subcommand("compute", "hetsgd worker vs plain LibTorch loop"),
                   app.add_subcommand("overhead", "control overhead per round at 4 workers")}) {
    sc->add_option("--config", config, "base config");
    sc->add_option("--model", model, "mlp | cnn");
    sc->add_option("--reps", reps, "alternating repetitions");
    sc->add_option("--seconds", seconds, "seconds per run");
    sc->add_option("--commit", commit, "git commit recorded in the JSON");
    sc->add_option("--out", out, "output JSON path")->required();
  }
  double target = 0.80;
  std::vector<std::string> policies{"ssgd", "asgd",    "ssp",    "backup", "local_sgd",
                                    "abs",  "abs_sgd", "od_sgd", "wp_sgd", "dbs"};
  auto* cmp = app.add_subcommand("policies", "every policy on the same cluster, one line each");
  cmp->add_option("--config", config, "base config");
  cmp->add_option("--model", model, "mlp | cnn");
  cmp->add_option("--seconds", seconds, "seconds per policy");
  cmp->add_option("--target", target, "test accuracy whose time to reach is compared");
  cmp->add_option("--policies", policies, "policies to run")->delimiter(',');
  cmp->add_option("--commit", commit, "git commit recorded in the JSON");
  cmp->add_option("--out", out, "output JSON-lines path")->required();
  auto* flt = app.add_subcommand("faults", "every policy with and without a crash and a slowdown");
  flt->add_option("--config", config, "base config");
  flt->add_option("--model", model, "mlp | cnn");
  flt->add_option("--seconds", seconds, "seconds per run");
  flt->add_option("--target", target, "test accuracy whose time to reach is compared");
  flt->add_option("--policies", policies, "policies to run")->delimiter(',');
  flt->add_option("--commit", commit, "git commit recorded in the JSON");
  flt->add_option("--out", out, "output JSON-lines path")->required();
  std::int64_t samples = 30000;
  double drop = 0.05, delay_s = 0.02, probe_s = 0.2;
  std::vector<std::string> link_policies{"ssgd", "asgd", "backup", "abs_sgd"};
  auto* lnk = app.add_subcommand("links", "each policy on a clean, a lossy and a slow network");
  lnk->add_option("--config", config, "base config");
  lnk->add_option("--model", model, "mlp | cnn");
  lnk->add_option("--samples", samples, "samples applied per run (the same work for each)");
  lnk->add_option("--drop", drop, "probability a bulk message is lost, every link");
  lnk->add_option("--delay", delay_s, "seconds added to every message, every link");
  lnk->add_option("--probe", probe_s, "cluster.link_probe_s, seconds");
  lnk->add_option("--policies", link_policies, "policies to run")->delimiter(',');
  lnk->add_option("--commit", commit, "git commit recorded in the JSON");
  lnk->add_option("--out", out, "output JSON-lines path")->required();
  hetsgd::bench::sim_scale_options scale;
  auto* scl = app.add_subcommand("sim_scale", "N simulated workers: cost per round, memory, speed");
  scl->add_option("--config", scale.config, "base config (simulated clock)");
  scl->add_option("--workers", scale.workers, "cluster sizes")->delimiter(',');
  scl->add_option("--policies", scale.policies, "policies to run")->delimiter(',');
  scl->add_option("--rounds", scale.rounds, "samples applied = rounds x batch x N");
  scl->add_option("--commit", scale.commit, "git commit recorded in the JSON");
  scl->add_option("--out", scale.out, "output JSON-lines path")->required();
  hetsgd::bench::straggler_matrix_options matrix;
  auto* stm = app.add_subcommand("stragglers", "k stragglers x slowdown x policy, virtual time");
  stm->add_option("--config", matrix.config, "base config");
  stm->add_option("--stragglers", matrix.stragglers, "numbers of stragglers")->delimiter(',');
  stm->add_option("--slowdowns", matrix.slowdowns, "straggler slowdown factors")->delimiter(',');
  stm->add_option("--policies", matrix.policies, "policies to run")->delimiter(',');
  stm->add_option("--workers", matrix.workers, "cluster size");
  stm->add_option("--samples", matrix.samples, "samples applied per run");
  stm->add_option("--commit", matrix.commit, "git commit recorded in the JSON");
  stm->add_option("--out", matrix.out, "output JSON-lines path")->required();
  hetsgd::bench::collectives_options coll;
  auto* col = app.add_subcommand("collectives", "all-reduce sweep: hetsgd's Gloo vs torch gloo");
  col->add_option("--ranks", coll.ranks, "processes");
  col->add_option("--sizes", coll.sizes, "message sizes, bytes")->delimiter(',');
  col->add_option("--reps", coll.reps, "alternating sweeps per side (best kept)");
  col->add_option("--backend", coll.backend, "hetsgd collective backend (gloo | nccl)");
  col->add_option("--torch-script", coll.torch_script, "torch sweep script; empty skips torch");
  col->add_option("--timeout", coll.timeout_s, "seconds per sweep before its ranks are killed");
  col->add_option("--commit", coll.commit, "git commit recorded in the JSON");
  col->add_option("--out", coll.out, "output JSON path")->required();
  hetsgd::bench::detection_options det;
  auto* dtc = app.add_subcommand("detection", "kill -9 and SIGSTOP of worker processes: detection");
  dtc->add_option("--config", det.config, "base config");
  dtc->add_option("--hetsgd", det.hetsgd, "the hetsgd binary (default: ../hetsgd from here)");
  dtc->add_option("--workers", det.workers, "worker processes")->check(CLI::Range(2, 64));
  dtc->add_option("--reps", det.reps, "kills and freezes, each")->check(CLI::Range(1, 100));
  dtc->add_option("--heartbeat", det.heartbeat_s, "cluster.heartbeat_s, seconds");
  dtc->add_option("--heartbeat-timeout", det.heartbeat_timeout_s,
                  "cluster.heartbeat_timeout_s, seconds");
  dtc->add_option("--commit", det.commit, "git commit recorded in the JSON");
  dtc->add_option("--out", det.out, "output JSON path")->required();
  int rank = 0;
  int port = 0;
  std::string rank_out;
  auto* crk = app.add_subcommand("collective_rank", "one rank of the collectives sweep (a child)");
  crk->group("");  // internal
  crk->add_option("--port", port)->required();
  crk->add_option("--rank", rank)->required();
  crk->add_option("--ranks", coll.ranks)->required();
  crk->add_option("--backend", coll.backend);
  crk->add_option("--sizes", coll.sizes)->delimiter(',');
  crk->add_option("--out", coll.out)->required();
  std::string one_policy;
  int one_workers = 0;
  auto* one = app.add_subcommand("sim_one", "one sim_scale run (a child of sim_scale)");
  one->group("");  // internal
  one->add_option("--config", scale.config)->required();
  one->add_option("--policy", one_policy)->required();
  one->add_option("--workers", one_workers)->required();
  one->add_option("--rounds", scale.rounds)->required();
  one->add_option("--out", out)->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (app.got_subcommand("compute"))
      return bench_compute(config, model, reps, seconds, commit, out);
    if (app.got_subcommand("faults"))
      return bench_faults(config, model, seconds, target, policies, commit, out);
    if (app.got_subcommand("links"))
      return bench_links(config, model, samples, drop, delay_s, probe_s, link_policies, commit,
                         out);
    if (app.got_subcommand("stragglers"))
      return hetsgd::bench::bench_straggler_matrix(matrix);
    if (app.got_subcommand("sim_scale"))
      return hetsgd::bench::bench_sim_scale(scale, std::filesystem::read_symlink("/proc/self/exe"));
    if (app.got_subcommand("collectives"))
      return hetsgd::bench::bench_collectives(coll,
                                              std::filesystem::read_symlink("/proc/self/exe"));
    if (app.got_subcommand("detection"))
      return hetsgd::bench::bench_detection(det, std::filesystem::read_symlink("/proc/self/exe"));
    if (app.got_subcommand("collective_rank"))
      return hetsgd::bench::collective_rank("127.0.0.1", port, rank, coll);
    if (app.got_subcommand("sim_one"))
      return hetsgd::bench::sim_scale_one(scale.config, one_policy, one_workers, scale.rounds, out);
    if (app.got_subcommand("policies"))
      return bench_policies(config, model, seconds, target, policies, commit, out);
    return bench_overhead(config, model, reps, seconds, commit, out);
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 1;
  }
}
