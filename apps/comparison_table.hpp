#pragma once
/// The table `hetsgd compare` prints and writes (comparison.md, comparison.json; INTERFACE.md):
/// one row per policy, built from each run's summary.json, with the speedups in time to the
/// target accuracy over ssgd and over the best baseline.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hetsgd {

/// The policies users compare the published algorithms with.
const std::vector<std::string>& baseline_policies();

struct comparison_row {
  std::string policy;
  std::string run_dir;
  std::optional<std::string> error;        ///< set when the policy's run failed
  std::optional<double> time_to_target_s;  ///< null: target never reached
  std::optional<double> final_accuracy;
  double utilization = 0.0;
  std::uint64_t rounds = 0;
  std::uint64_t bytes_moved = 0;
  std::uint64_t samples_dropped = 0;
  double elapsed_s = 0.0;
  std::optional<double> speedup_vs_ssgd;  ///< ssgd's time to target / this one's
  std::optional<double> speedup_vs_best_baseline;
};

/// A row from a finished run's summary.json.
comparison_row row_from_summary(const std::string& policy, const std::string& run_dir,
                                const nlohmann::json& summary);

/// Fills in the speedups: over ssgd when it ran and reached the target, and over the fastest
/// baseline (ssgd, asgd, ssp, backup, local_sgd) to the target among those compared.
void fill_speedups(std::vector<comparison_row>& rows);

/// comparison.json: {"clock", "target_accuracy", "policies": [...]} with nulls where a time or
/// speedup does not exist.
nlohmann::json comparison_json(const std::vector<comparison_row>& rows, const std::string& clock,
                               double target_accuracy);

/// comparison.md: a Markdown table with a line saying what the times are.
std::string comparison_markdown(const std::vector<comparison_row>& rows, const std::string& clock,
                                double target_accuracy);

}  // namespace hetsgd
