#include "apps/comparison_table.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace hetsgd {
namespace {

using nlohmann::json;

json or_null(const std::optional<double>& x) {
  return x ? json(*x) : json(nullptr);
}

std::string fixed(const std::optional<double>& x, int digits, const char* unit = "") {
  if (!x)
    return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%s", digits, *x, unit);
  return buf;
}

bool is_baseline(const std::string& policy) {
  const auto& b = baseline_policies();
  return std::find(b.begin(), b.end(), policy) != b.end();
}

}  // namespace

const std::vector<std::string>& baseline_policies() {
  static const std::vector<std::string> names{"ssgd", "asgd", "ssp", "backup", "local_sgd"};
  return names;
}

comparison_row row_from_summary(const std::string& policy, const std::string& run_dir,
                                const json& s) {
  comparison_row r;
  r.policy = policy;
  r.run_dir = run_dir;
  if (!s["time_to_target_s"].is_null())
    r.time_to_target_s = s["time_to_target_s"].get<double>();
  if (!s["final_accuracy"].is_null())
    r.final_accuracy = s["final_accuracy"].get<double>();
  r.utilization = s.value("utilization", 0.0);
  r.rounds = s.value("rounds", std::uint64_t{0});
  r.bytes_moved = s.value("bytes_moved", std::uint64_t{0});
  r.samples_dropped = s.value("samples_dropped", std::uint64_t{0});
  r.elapsed_s = s.value("elapsed_s", 0.0);
  return r;
}

void fill_speedups(std::vector<comparison_row>& rows) {
  std::optional<double> ssgd, best;
  for (const auto& r : rows) {
    if (r.error || !r.time_to_target_s || *r.time_to_target_s <= 0.0)
      continue;
    if (r.policy == "ssgd")
      ssgd = r.time_to_target_s;
    if (is_baseline(r.policy) && (!best || *r.time_to_target_s < *best))
      best = r.time_to_target_s;
  }
  for (auto& r : rows) {
    r.speedup_vs_ssgd.reset();
    r.speedup_vs_best_baseline.reset();
    if (r.error || !r.time_to_target_s || *r.time_to_target_s <= 0.0)
      continue;
    if (ssgd)
      r.speedup_vs_ssgd = *ssgd / *r.time_to_target_s;
    if (best)
      r.speedup_vs_best_baseline = *best / *r.time_to_target_s;
  }
}

json comparison_json(const std::vector<comparison_row>& rows, const std::string& clock,
                     double target_accuracy) {
  json list = json::array();
  for (const auto& r : rows)
    list.push_back({{"policy", r.policy},
                    {"time_to_target_s", or_null(r.time_to_target_s)},
                    {"speedup_vs_ssgd", or_null(r.speedup_vs_ssgd)},
                    {"speedup_vs_best_baseline", or_null(r.speedup_vs_best_baseline)},
                    {"final_accuracy", or_null(r.final_accuracy)},
                    {"utilization", r.error ? json(nullptr) : json(r.utilization)},
                    {"rounds", r.error ? json(nullptr) : json(r.rounds)},
                    {"bytes_moved", r.error ? json(nullptr) : json(r.bytes_moved)},
                    {"samples_dropped", r.error ? json(nullptr) : json(r.samples_dropped)},
                    {"elapsed_s", r.error ? json(nullptr) : json(r.elapsed_s)},
                    {"run_dir", r.run_dir},
                    {"error", r.error ? json(*r.error) : json(nullptr)}});
  return {{"clock", clock}, {"target_accuracy", target_accuracy}, {"policies", list}};
}

std::string comparison_markdown(const std::vector<comparison_row>& rows, const std::string& clock,
                                double target_accuracy) {
  std::ostringstream o;
  char target[32];
  std::snprintf(target, sizeof target, "%.3f", target_accuracy);
  o << "Times are " << (clock == "simulated" ? "virtual" : "wall-clock") << " seconds to test "
    << "accuracy " << target << "; speedups are ratios of those times (— = target not reached, "
    << "or nothing to compare with).\n\n"
    << "| policy | time to target | vs ssgd | vs best baseline | final accuracy | utilization | "
       "rounds | MB moved | samples dropped |\n"
    << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : rows) {
    if (r.error) {
      std::string why = *r.error;
      std::replace(why.begin(), why.end(), '|', '/');  // a pipe would end the cell
      std::replace(why.begin(), why.end(), '\n', ' ');
      o << "| " << r.policy << " | failed: " << why << " | | | | | | | |\n";
      continue;
    }
    o << "| " << r.policy << " | " << fixed(r.time_to_target_s, 1, " s") << " | "
      << fixed(r.speedup_vs_ssgd, 2, "×") << " | " << fixed(r.speedup_vs_best_baseline, 2, "×")
      << " | " << fixed(r.final_accuracy, 3) << " | " << fixed(r.utilization, 3) << " | "
      << r.rounds << " | " << fixed(static_cast<double>(r.bytes_moved) / 1e6, 0) << " | "
      << r.samples_dropped << " |\n";
  }
  return o.str();
}

}  // namespace hetsgd
