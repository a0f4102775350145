#pragma once
// Shared by the end-to-end suites: the base config (4 MLP workers of speeds [1, 1, 0.5, 0.25]),
// a runner that trains for real and reads back summary.json and events.jsonl, and the checks
// every run must pass (outputs present, exact sample accounting).
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "actors/training_run.hpp"
#include "config/config_loader.hpp"

namespace e2e {

namespace fs = std::filesystem;
using nlohmann::json;

inline const char* base_toml = R"(
[run]
name = "e2e"
seed = 7
[model]
name = "mlp"
[train]
lr = 0.05
batch = 64
micro_batch = 32
max_samples = 40000
target_accuracy = 0.7
eval_every_s = 1.0
[cluster]
workers = 4
speeds = [1.0, 1.0, 0.5, 0.25]
[output]
plots = false
progress_every_s = 0.5
)";

inline hetsgd::run_config load(const std::vector<std::string>& sets,
                               std::string* effective = nullptr) {
  auto r = hetsgd::load_config_string(base_toml, "e2e.toml", sets);
  if (auto* err = std::get_if<hetsgd::config_error>(&r))
    CATCH_FAIL("config: " << err->message);
  if (effective)
    *effective = std::get<hetsgd::loaded_config>(r).effective_toml;
  return std::get<hetsgd::loaded_config>(r).cfg;
}

inline std::string fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("hetsgd_e2e_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

inline std::vector<json> read_events(const std::string& dir) {
  std::vector<json> out;
  std::ifstream f(dir + "/events.jsonl");
  std::string line;
  while (std::getline(f, line))
    out.push_back(json::parse(line));
  return out;
}

struct finished_run {
  hetsgd::run_result res;
  json summary;
  std::vector<json> events;
  std::string dir;
};

inline finished_run run(const std::string& name, const std::vector<std::string>& sets,
                        const std::atomic<bool>* stop = nullptr,
                        std::function<void(const hetsgd::progress_msg&)> on_progress = {}) {
  finished_run fr;
  std::string effective;
  auto cfg = load(sets, &effective);
  hetsgd::run_options opts;
  opts.out_dir = fr.dir = fresh_dir(name);
  opts.effective_toml = effective;
  opts.stop_requested = stop;
  opts.on_progress = std::move(on_progress);
  opts.solo_calibration_s = 0.3;
  fr.res = hetsgd::run_training(cfg, opts);
  if (!fr.res.summary_json.empty())
    fr.summary = json::parse(fr.res.summary_json);
  fr.events = read_events(fr.dir);
  return fr;
}

inline double sum_of(const json& numbers) {
  double total = 0.0;
  for (auto& x : numbers)
    total += x.get<double>();
  return total;
}

inline void check_common_outputs(const finished_run& fr) {
  for (auto f : {"config.toml", "events.jsonl", "metrics.csv", "summary.json"})
    CATCH_CHECK(fs::exists(fs::path(fr.dir) / f));
  auto& s = fr.summary;
  for (auto key : {"policy", "clock", "seed", "final_accuracy", "target_accuracy",
                   "time_to_target_s", "elapsed_s", "rounds", "samples_computed", "samples_applied",
                   "samples_dropped", "utilization", "per_worker", "samples_in_flight_at_end"})
    CATCH_CHECK(s.contains(key));
  // Every sample computed is applied, dropped or in flight at the end: nothing is lost.
  CATCH_CHECK(s["samples_computed"].get<std::uint64_t>() ==
              s["samples_applied"].get<std::uint64_t>() +
                s["samples_dropped"].get<std::uint64_t>() +
                s["samples_in_flight_at_end"].get<std::uint64_t>());
  CATCH_REQUIRE(s["per_worker"].size() == 4);
  for (auto& w : s["per_worker"]) {
    CATCH_CHECK(w["samples"].get<std::uint64_t>() > 0);
    CATCH_CHECK(w["compute_s"].get<double>() > 0.0);
    CATCH_CHECK(w["reported"].get<bool>());
  }
  double u = s["utilization"].get<double>();
  CATCH_CHECK(u > 0.0);
  CATCH_CHECK(u <= 1.05);
  // metrics.csv: header plus at least the final evaluation.
  std::ifstream m(fr.dir + "/metrics.csv");
  std::string header, row;
  std::getline(m, header);
  CATCH_CHECK(header == "time_s,samples_applied,test_accuracy,test_loss,version");
  CATCH_CHECK(static_cast<bool>(std::getline(m, row)));
}

}  // namespace e2e
