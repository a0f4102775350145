#include "apps/compare_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "actors/training_run.hpp"
#include "apps/comparison_table.hpp"
#include "apps/plot_runner.hpp"
#include "apps/run_directory.hpp"
#include "config/config_loader.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/solo_throughput.hpp"
#include "gpu/torch_threads.hpp"
#include "policies/policy_registry.hpp"

namespace hetsgd {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;

std::string join(const std::vector<std::string>& xs) {
  std::string s;
  for (const auto& x : xs)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// One line per policy: live while it runs (on a terminal), then its result.
class progress_line {
 public:
  progress_line(std::size_t index, std::size_t count, const std::string& policy)
      : tty_(isatty(STDOUT_FILENO) != 0) {
    std::ostringstream o;
    o << "[" << index << "/" << count << "] " << std::left << std::setw(10) << policy;
    prefix_ = o.str();
    if (!tty_)
      std::cout << prefix_ << "running\n" << std::flush;
  }
  void update(const progress_msg& pm) {
    if (!tty_)
      return;
    std::cout << "\r" << prefix_ << std::fixed << std::setprecision(1) << "t = " << pm.elapsed_s
              << " s, applied " << pm.samples_applied << ", accuracy "
              << (pm.accuracy >= 0 ? std::to_string(pm.accuracy).substr(0, 5) : std::string("-"))
              << "\033[K" << std::flush;
  }
  void finish(const std::string& what) {
    std::cout << (tty_ ? "\r" : "") << prefix_ << what << (tty_ ? "\033[K" : "") << "\n"
              << std::flush;
  }

 private:
  bool tty_;
  std::string prefix_;
};

std::string result_text(const comparison_row& r) {
  if (r.error)
    return "failed: " + *r.error;
  std::ostringstream o;
  o << std::fixed << std::setprecision(3) << "accuracy "
    << (r.final_accuracy ? *r.final_accuracy : 0.0) << ", time to target ";
  if (r.time_to_target_s)
    o << std::setprecision(1) << *r.time_to_target_s << " s";
  else
    o << "not reached";
  return o.str();
}

}  // namespace

int run_compare(const compare_request& req) {
  // Every name is checked before anything runs.
  const auto known = implemented_round_policies();
  for (const auto& p : req.policies)
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      std::cerr << "hetsgd compare: --policies: unknown policy \"" << p
                << "\"; valid: " << join(known) << "\n";
      return exit_usage;
    }
  if (req.policies.empty()) {
    std::cerr << "hetsgd compare: --policies: name at least one policy; valid: " << join(known)
              << "\n";
    return exit_usage;
  }
  auto base = load_config(req.config_path, req.sets);
  if (auto* err = std::get_if<config_error>(&base)) {
    std::cerr << err->message << "\n";
    return exit_usage;
  }
  const auto& cfg = std::get<loaded_config>(base).cfg;
  const std::string out = !req.out_dir.empty()      ? req.out_dir
                          : !cfg.output.dir.empty() ? cfg.output.dir
                                                    : default_run_directory(cfg, "-compare");

  // One data set and one solo rate for every policy, so that they run on the same footing (the
  // simulated clock takes its rate from the config or the per-machine cache).
  std::shared_ptr<const fashion_mnist> data;
  double solo = 0.0;
  try {
    data = shared_fashion_mnist(cfg.data.path);
    if (cfg.cluster.clock == "real") {
      pin_compute_threads_to_one();
      solo = measure_solo_throughput(cfg.model.name, data->train, cfg.train.micro_batch, 1.0,
                                     cfg.run.seed);
    }
  } catch (const std::exception& e) {
    std::cerr << "hetsgd compare: " << e.what() << "\n";
    return exit_runtime;
  }
  std::cout << "hetsgd compare: " << req.policies.size() << " policies on " << cfg.cluster.workers
            << " workers (" << cfg.model.name << ", " << cfg.cluster.clock << " clock), output in "
            << out << "\n"
            << std::flush;

  std::vector<comparison_row> rows;
  std::size_t index = 0;
  for (const auto& policy : req.policies) {
    ++index;
    const std::string dir = out + "/" + policy;
    comparison_row row;
    row.policy = policy;
    row.run_dir = dir;
    if (req.stop && req.stop->load()) {
      row.error = "skipped (interrupted)";
      rows.push_back(row);
      continue;
    }
    progress_line line(index, req.policies.size(), policy);
    auto sets = req.sets;
    sets.push_back("policy.name=" + policy);
    auto loaded = load_config(req.config_path, sets);
    if (auto* err = std::get_if<config_error>(&loaded)) {
      row.error = err->message;
    } else {
      const auto& lc = std::get<loaded_config>(loaded);
      run_options opts;
      opts.out_dir = dir;
      opts.effective_toml = lc.effective_toml;
      opts.data = data;
      opts.solo_samples_per_s = solo;
      opts.stop_requested = req.stop;
      opts.on_progress = [&line](const progress_msg& pm) { line.update(pm); };
      try {
        std::filesystem::remove_all(dir);
        auto res = run_training(lc.cfg, opts);
        if (res.exit_code != 0 || res.summary_json.empty())
          row.error = res.message.empty() ? "exit " + std::to_string(res.exit_code) : res.message;
        else
          row = row_from_summary(policy, dir, nlohmann::json::parse(res.summary_json));
        if (!row.error && lc.cfg.output.plots) {
          auto msg = run_plot_script(dir);
          if (!msg.empty())
            std::cerr << "hetsgd compare: " << policy << ": plots skipped: " << msg << "\n";
        }
      } catch (const std::exception& e) {
        row.error = e.what();
      }
    }
    line.finish(result_text(row));
    rows.push_back(row);
  }
  fill_speedups(rows);

  const auto json = comparison_json(rows, cfg.cluster.clock, cfg.train.target_accuracy);
  const auto md = comparison_markdown(rows, cfg.cluster.clock, cfg.train.target_accuracy);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  std::ofstream(out + "/comparison.json") << json.dump(2) << "\n";
  std::ofstream(out + "/comparison.md") << md;
  std::cout << "\n"
            << md << "\nhetsgd compare: wrote " << out << "/comparison.md and " << out
            << "/comparison.json\n"
            << std::flush;
  if (cfg.output.plots) {
    auto msg = run_compare_plot_script(out);
    if (!msg.empty())
      std::cerr << "hetsgd compare: comparison plots skipped: " << msg << "\n";
  }
  const bool any_ok = std::any_of(rows.begin(), rows.end(), [](auto& r) { return !r.error; });
  return any_ok ? exit_ok : exit_runtime;
}

}  // namespace hetsgd
