#include "bench/straggler_matrix.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "actors/training_run.hpp"
#include "bench/bench_json.hpp"
#include "gpu/fashion_mnist.hpp"

namespace hetsgd::bench {
namespace {

using nlohmann::json;

/// Speeds of `workers` workers of which the last `k` run at 1 / `slowdown`.
std::vector<double> speeds_of(int workers, int k, double slowdown) {
  std::vector<double> speeds;
  for (int i = 0; i < workers; ++i)
    speeds.push_back(i >= workers - k ? 1.0 / slowdown : 1.0);
  return speeds;
}

}  // namespace

int bench_straggler_matrix(const straggler_matrix_options& o) {
  auto base = load(o.config, {});
  auto data = shared_fashion_mnist(base.cfg.data.path);
  std::filesystem::create_directories(std::filesystem::path(o.out).parent_path());
  std::ofstream lines(o.out);
  // (k = 0) is each policy's reference: the same cluster without stragglers.
  std::vector<std::pair<int, double>> cells{{0, 1.0}};
  for (int k : o.stragglers)
    for (double f : o.slowdowns)
      cells.emplace_back(k, f);
  for (const auto& policy : o.policies) {
    double clean_s = 0.0;
    for (auto [k, f] : cells) {
      auto sets = cluster_sets(speeds_of(o.workers, k, f));
      sets.insert(sets.end(),
                  {"model.name=mlp", "policy.name=" + policy, "cluster.clock=simulated",
                   "cluster.base_rate=" + std::to_string(o.base_rate),
                   "train.max_samples=" + std::to_string(o.samples), "train.max_seconds=0",
                   "train.eval_every_s=1000", "output.plots=false", "output.progress_every_s=0",
                   "output.trace=false"});
      auto lc = load(o.config, sets);
      json j = header("straggler_matrix", o.commit, lc);
      j["policy"] = policy;
      j["workers"] = o.workers;
      j["stragglers"] = k;
      j["slowdown"] = f;
      j["samples"] = o.samples;
      j["base_rate"] = o.base_rate;
      run_options opts;
      opts.out_dir = "/tmp/hetsgd_bench_stragglers/" + policy + "_" + std::to_string(k) + "_" +
                     std::to_string(static_cast<int>(f));
      std::filesystem::remove_all(opts.out_dir);
      opts.effective_toml = lc.effective_toml;
      opts.data = data;
      auto res = run_training(lc.cfg, opts);
      if (res.exit_code != 0 || res.summary_json.empty()) {
        j["error"] = res.message;
      } else {
        auto s = json::parse(res.summary_json);
        const double t = s["elapsed_s"].get<double>();
        if (k == 0)
          clean_s = t;
        j["virtual_s"] = t;
        j["slowdown_vs_no_stragglers"] = clean_s > 0.0 ? t / clean_s : 0.0;
        j["final_accuracy"] = s["final_accuracy"];
        j["samples_dropped"] = s["samples_dropped"];
        j["utilization"] = s["utilization"];
        j["rounds"] = s["rounds"];
        j["error"] = nullptr;
      }
      std::cerr << policy << " k=" << k << " f=" << f << ": "
                << j.value("slowdown_vs_no_stragglers", 0.0) << "\n";
      lines << j.dump() << "\n";
      lines.flush();
    }
  }
  return 0;
}

}  // namespace hetsgd::bench
