#pragma once
/// `hetsgd compare CONFIG --policies a,b,c [--set ...] [--out DIR]`: the same cluster, data, seed,
/// speeds and faults under each policy, one run directory per policy under DIR, and the table
/// (comparison.md, comparison.json) that answers "which policy, and how much faster".

#include <atomic>
#include <string>
#include <vector>

namespace hetsgd {

struct compare_request {
  std::string config_path;
  std::vector<std::string> policies;
  std::vector<std::string> sets;
  std::string out_dir;  ///< "" = output.dir, else runs/<run.name>-compare-<timestamp>
  const std::atomic<bool>* stop = nullptr;  ///< Ctrl-C: the current run ends, the rest are skipped
};

/// Exit code: 0 when at least one policy ran, 2 for a bad config or an unknown policy name
/// (the message lists the valid ones), 1 when every run failed.
int run_compare(const compare_request& req);

}  // namespace hetsgd
