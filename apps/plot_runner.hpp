#pragma once
/// Post-run helpers of the command line: a short digest of summary.json, and the plots drawn
/// by tools/plot.py with Debian's /usr/bin/python3 (the python3 first on PATH may lack
/// matplotlib).

#include <ostream>
#include <string>
#include <vector>

namespace hetsgd {

/// Prints final accuracy, time to target, utilization and sample accounting.
void print_summary_digest(const std::string& summary_json, std::ostream& os);

/// Runs tools/plot.py on a run directory. Returns "" on success, else why no plots were made.
std::string run_plot_script(const std::string& run_dir);

/// Runs `tools/plot.py --compare DIR` on a `hetsgd compare` directory (the charts that put the
/// policies side by side). Returns "" on success, else why no plots were made.
std::string run_compare_plot_script(const std::string& compare_dir);

/// tools/plot.py with these arguments.
std::string run_plot_script_with(const std::vector<std::string>& args);

/// Path of tools/plot.py: $HETSGD_PLOT_SCRIPT, the source tree, or the install share dir.
std::string plot_script_path();

}  // namespace hetsgd
