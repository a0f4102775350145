#pragma once
/// Scale in N on the simulated clock (issue 5): the same work per worker under each policy for
/// N = 16 … 1024 workers of the MLP. For each (policy, N) one JSON line with the aggregator's
/// cost per round and per contribution (CPU seconds), the peak memory of the process, and wall
/// seconds per simulated second. Each run is a child process of its own, so that its peak memory
/// is its own.

#include <string>
#include <vector>

namespace hetsgd::bench {

struct sim_scale_options {
  std::string config = "config/examples/sim_1024.toml";
  std::vector<int> workers{16, 64, 256, 1024};
  std::vector<std::string> policies{"ssgd", "abs", "abs_sgd"};
  int rounds = 5;  ///< samples applied = rounds × train.batch × N (ssgd: that many rounds)
  std::string commit = "unknown";
  std::string out;
};

/// Runs every (policy, N) in a child process (`self_exe sim_one ...`) and writes JSON lines.
int bench_sim_scale(const sim_scale_options& o, const std::string& self_exe);

/// The child: one simulated run of `policy` on `workers` workers; writes its figures to `out`.
int sim_scale_one(const std::string& config, const std::string& policy, int workers, int rounds,
                  const std::string& out);

}  // namespace hetsgd::bench
