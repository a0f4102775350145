#pragma once
/// The straggler matrix on the simulated clock: how much each policy suffers from k stragglers
/// slowed by a factor f. An 8-worker cluster of equal speeds gets k ∈ {1, 2, 4} workers at speed
/// 1/f, f ∈ {2, 4, 8}; every policy applies the same number of samples, and the figure is the
/// virtual time that takes, divided by the same policy's time without stragglers (1 = not hurt
/// at all; f = as slow as the stragglers). Virtual time makes the matrix exact and independent
/// of the machine's load.

#include <string>
#include <vector>

namespace hetsgd::bench {

struct straggler_matrix_options {
  std::string config = "config/examples/default.toml";
  std::vector<int> stragglers{1, 2, 4};
  std::vector<double> slowdowns{2.0, 4.0, 8.0};
  std::vector<std::string> policies{"ssgd", "asgd", "backup", "local_sgd", "abs", "abs_sgd"};
  int workers = 8;
  std::int64_t samples = 16384;  ///< samples applied per run
  double base_rate = 4000.0;     ///< samples/s of a speed-1 worker (virtual)
  std::string commit = "unknown";
  std::string out;
};

int bench_straggler_matrix(const straggler_matrix_options& o);

}  // namespace hetsgd::bench
