#include "actors/memory_budget.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace hetsgd {
namespace {

/// Copies of the parameters a worker holds at once (float32 each). Measured with bench_runtime
/// sim_scale: each added MLP worker (0.94 MB of parameters) cost 3.45–3.57 MiB of peak memory
/// under ssgd, about 3.9 copies; the estimate keeps a margin.
constexpr double copies_per_worker = 4.5;
/// The actor, the model's modules and allocator slack, bytes.
constexpr std::uint64_t fixed_per_worker = 256 * 1024;

/// The value of `key` in a /proc file of "Key:   123 kB" lines, in bytes.
std::optional<std::uint64_t> proc_kb(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() ||
        line[key.size()] != ':')
      continue;
    std::istringstream rest(line.substr(key.size() + 1));
    std::uint64_t kb = 0;
    if (rest >> kb)
      return kb * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::uint64_t worker_memory_bytes(std::int64_t parameters, std::int64_t train_samples,
                                  std::int64_t workers) {
  const double params = static_cast<double>(parameters) * 4.0 * copies_per_worker;
  const double shard =
    workers > 0 ? 8.0 * static_cast<double>(train_samples) / static_cast<double>(workers) : 0.0;
  return static_cast<std::uint64_t>(params + shard) + fixed_per_worker;
}

std::optional<std::uint64_t> available_memory_bytes() {
  return proc_kb("/proc/meminfo", "MemAvailable");
}

std::uint64_t peak_rss_bytes() {
  return proc_kb("/proc/self/status", "VmHWM").value_or(0);
}

std::string bytes_text(std::uint64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1024.0 * 1024));
  return buf;
}

}  // namespace hetsgd
