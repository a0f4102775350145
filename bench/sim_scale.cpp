#include "bench/sim_scale.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "actors/training_run.hpp"
#include "bench/bench_json.hpp"
#include "bench/child_process.hpp"

extern char** environ;

namespace hetsgd::bench {
namespace {

using nlohmann::json;

/// The settings of one (policy, N) run: the demo cluster's speeds [1, 1, 0.5, 0.25] repeated.
std::vector<std::string> scale_sets(const std::string& policy, int workers, int rounds,
                                    std::int64_t batch) {
  const double pattern[] = {1.0, 1.0, 0.5, 0.25};
  std::vector<double> speeds;
  for (int i = 0; i < workers; ++i)
    speeds.push_back(pattern[i % 4]);
  auto sets = cluster_sets(speeds);
  sets.insert(
    sets.end(),
    {"policy.name=" + policy, "train.max_samples=" + std::to_string(rounds * batch * workers),
     "train.max_seconds=0", "output.plots=false", "output.progress_every_s=0"});
  return sets;
}

json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  return json::parse(f);
}

}  // namespace

int sim_scale_one(const std::string& config, const std::string& policy, int workers, int rounds,
                  const std::string& out) {
  auto base = load(config, {});
  auto lc = load(config, scale_sets(policy, workers, rounds, base.cfg.train.batch));
  run_options opts;
  opts.out_dir = "/tmp/hetsgd_bench_sim_scale/" + policy + "_" + std::to_string(workers);
  std::filesystem::remove_all(opts.out_dir);
  opts.effective_toml = lc.effective_toml;
  auto res = run_training(lc.cfg, opts);
  if (res.exit_code != 0) {
    std::cerr << "sim_one: " << res.message << "\n";
    return 1;
  }
  auto summary = json::parse(res.summary_json);
  auto wall = read_json(opts.out_dir + "/wall.json");
  std::uint64_t contributions = 0;
  for (auto& w : summary["per_worker"])
    contributions += w["contributions"].get<std::uint64_t>();
  json j = header("sim_scale", "", lc);
  j["policy"] = policy;
  j["workers"] = workers;
  j["rounds"] = summary["rounds"];
  j["contributions"] = contributions;
  j["samples_applied"] = summary["samples_applied"];
  j["samples_computed"] = summary["samples_computed"];
  j["sim_s"] = summary["elapsed_s"];
  j["wall_s"] = wall["wall_s"];
  j["wall_s_per_sim_s"] = wall.value("wall_s_per_sim_s", 0.0);
  j["aggregator_busy_s"] = wall["aggregator_busy_s"];
  j["aggregator_busy_per_round_s"] = wall["aggregator_busy_per_round_s"];
  j["aggregator_busy_per_contribution_s"] =
    contributions ? wall["aggregator_busy_s"].get<double>() / static_cast<double>(contributions)
                  : 0.0;
  j["peak_rss_bytes"] = wall["peak_rss_bytes"];
  j["messages"] = wall["messages"];
  j["final_accuracy"] = summary["final_accuracy"];
  std::ofstream(out) << j.dump() << "\n";
  return 0;
}

int bench_sim_scale(const sim_scale_options& o, const std::string& self_exe) {
  std::filesystem::create_directories(std::filesystem::path(o.out).parent_path());
  std::ofstream lines(o.out);
  for (const auto& policy : o.policies) {
    json smallest;
    for (int n : o.workers) {
      const std::string tmp =
        "/tmp/hetsgd_bench_sim_scale_" + policy + "_" + std::to_string(n) + ".json";
      std::filesystem::remove(tmp);
      json j;
      const int rc =
        run_child({self_exe, "sim_one", "--config", o.config, "--policy", policy, "--workers",
                   std::to_string(n), "--rounds", std::to_string(o.rounds), "--out", tmp},
                  std::chrono::seconds(1800));
      if (rc == 0) {
        j = read_json(tmp);
        j["git_commit"] = o.commit;
        // Growth against the smallest N, per worker added: 1.0 = exactly linear in N.
        if (smallest.is_null())
          smallest = j;
        const double n_ratio = static_cast<double>(n) / smallest["workers"].get<double>();
        auto per_n = [&](const char* key) {
          const double base = smallest[key].get<double>();
          return base > 0.0 ? j[key].get<double>() / base / n_ratio : 0.0;
        };
        j["growth_over_linear"] = {
          {"aggregator_busy_per_round_s", per_n("aggregator_busy_per_round_s")},
          {"wall_s_per_sim_s", per_n("wall_s_per_sim_s")}};
        // Memory has a fixed part (data set, LibTorch); what each added worker costs is the
        // slope against the smallest N.
        if (n > smallest["workers"].get<int>())
          j["rss_bytes_per_added_worker"] =
            (j["peak_rss_bytes"].get<double>() - smallest["peak_rss_bytes"].get<double>()) /
            (n - smallest["workers"].get<double>());
        j["error"] = nullptr;
      } else {
        j = {{"benchmark", "sim_scale"},
             {"policy", policy},
             {"workers", n},
             {"error", "child exited with " + std::to_string(rc)}};
      }
      std::cerr << policy << " N=" << n << ": " << j.dump() << "\n";
      lines << j.dump() << "\n";
      lines.flush();
    }
  }
  return 0;
}

}  // namespace hetsgd::bench
