#include "actors/run_accounting.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace hetsgd {

std::uint64_t worker_account::dropped_total() const {
  std::uint64_t s = 0;
  for (auto d : dropped)
    s += d;
  return s;
}

std::uint64_t run_account::samples_computed() const {
  std::uint64_t s = 0;
  for (auto& w : workers)
    // A worker that never reported (it failed) computed at least what reached us.
    s += w.final_stats ? w.samples_computed : w.samples_pushed;
  return s;
}

std::uint64_t run_account::samples_dropped() const {
  std::uint64_t s = 0;
  for (auto& w : workers)
    s += w.dropped_total();
  return s;
}

std::uint64_t run_account::samples_in_flight_at_end() const {
  std::uint64_t s = 0;
  for (auto& w : workers)
    s += w.samples_pending_at_end + (w.final_stats ? w.samples_in_flight : 0);
  return s;
}

double run_account::utilization() const {
  double capacity = 0.0;
  for (auto& w : workers)
    capacity += solo_samples_per_s * w.speed;
  capacity *= elapsed_s;
  return capacity > 0.0 ? static_cast<double>(samples_applied) / capacity : 0.0;
}

double run_account::control_overhead(bool exclude_cpu_wait) const {
  if (rounds == 0 || elapsed_s <= 0.0)
    return 0.0;
  double push_latency = 0.0;
  double release_latency = 0.0;
  std::uint64_t contributions = 0;
  std::uint64_t jobs = 0;
  for (auto& w : workers) {
    push_latency += w.push_latency_s;
    release_latency += w.release_latency_s;
    if (exclude_cpu_wait) {
      push_latency -= std::min(w.push_cpu_wait_s, w.push_latency_s);
      release_latency -= std::min(w.release_cpu_wait_s, w.release_latency_s);
    }
    contributions += w.contributions;
    jobs += w.jobs;
  }
  double per_round = aggregator_busy_s / static_cast<double>(rounds);
  if (contributions > 0)
    per_round += push_latency / static_cast<double>(contributions);
  if (jobs > 0)
    per_round += release_latency / static_cast<double>(jobs);
  return per_round / (elapsed_s / static_cast<double>(rounds));
}

std::string run_account::summary_json() const {
  using nlohmann::json;
  json j;
  j["policy"] = policy;
  j["clock"] = clock;
  j["model"] = model;
  j["seed"] = seed;
  j["final_accuracy"] = final_evaluated ? json(final_accuracy) : json(nullptr);
  j["final_loss"] = final_evaluated ? json(final_loss) : json(nullptr);
  j["target_accuracy"] = target_accuracy;
  j["time_to_target_s"] = time_to_target_s ? json(*time_to_target_s) : json(nullptr);
  j["elapsed_s"] = elapsed_s;
  j["rounds"] = rounds;
  j["version"] = version;
  j["samples_computed"] = samples_computed();
  j["samples_applied"] = samples_applied;
  j["samples_dropped"] = samples_dropped();
  j["samples_in_flight_at_end"] = samples_in_flight_at_end();
  j["utilization"] = utilization();
  j["solo_samples_per_s"] = solo_samples_per_s;
  j["bytes_moved"] = bytes_moved;
  j["evaluations"] = evaluations;
  {
    double push = 0.0, release = 0.0, cpu_wait = 0.0, push_wait = 0.0;
    std::uint64_t contributions = 0, jobs = 0;
    for (auto& w : workers) {
      push += w.push_latency_s;
      push_wait += std::min(w.push_cpu_wait_s, w.push_latency_s);
      release += w.release_latency_s;
      cpu_wait += std::min(w.release_cpu_wait_s, w.release_latency_s);
      contributions += w.contributions;
      jobs += w.jobs;
    }
    j["control"] = {
      {"aggregator_busy_s", aggregator_busy_s},
      {"aggregator_wall_s", aggregator_wall_s},
      {"aggregator_busy_per_round_s", rounds ? aggregator_busy_s / static_cast<double>(rounds) : 0.0},
      {"push_latency_mean_s", contributions ? push / static_cast<double>(contributions) : 0.0},
      {"push_cpu_wait_mean_s",
       contributions ? push_wait / static_cast<double>(contributions) : 0.0},
      {"release_latency_mean_s", jobs ? release / static_cast<double>(jobs) : 0.0},
      {"release_cpu_wait_mean_s", jobs ? cpu_wait / static_cast<double>(jobs) : 0.0},
      {"round_s", rounds ? elapsed_s / static_cast<double>(rounds) : 0.0},
      {"overhead_fraction", control_overhead(true)},
      {"overhead_fraction_with_cpu_wait", control_overhead(false)}};
  }
  j["exit_code"] = exit_code;
  j["end_reason"] = end_reason;
  j["errors"] = errors;
  json per = json::array();
  for (auto& w : workers) {
    json dropped;
    for (std::size_t r = 0; r < drop_reason_count; ++r)
      dropped[to_string(static_cast<drop_reason>(r))] = w.dropped[r];
    double rate = w.compute_s + w.stretch_s > 0.0
                    ? static_cast<double>(w.samples_computed) / (w.compute_s + w.stretch_s)
                    : 0.0;
    per.push_back({{"id", w.id},
                   {"speed", w.speed},
                   {"samples", w.final_stats ? w.samples_computed : w.samples_pushed},
                   {"samples_applied", w.samples_applied},
                   {"samples_in_flight_at_end",
                    w.samples_pending_at_end + (w.final_stats ? w.samples_in_flight : 0)},
                   {"dropped", dropped},
                   {"compute_s", w.compute_s},
                   {"stretch_s", w.stretch_s},
                   {"idle_s", w.idle_s},
                   {"busy_samples_per_s", rate},
                   {"contributions", w.contributions},
                   {"reported", w.final_stats},
                   {"failed", w.failed}});
  }
  j["per_worker"] = per;
  return j.dump(2);
}

}  // namespace hetsgd
