#include "actors/run_accounting.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace hetsgd {

using nlohmann::json;

void to_json(json& j, const link_counters& l) {
  j = {{"lost", l.lost},
       {"pushes_missing", l.pushes_missing},
       {"answers_resent", l.answers_resent},
       {"retransmits", l.retransmits},
       {"duplicates", l.duplicates}};
}

void from_json(const json& j, link_counters& l) {
  l.lost = j.at("lost").get<std::uint64_t>();
  l.pushes_missing = j.at("pushes_missing").get<std::uint64_t>();
  l.answers_resent = j.at("answers_resent").get<std::uint64_t>();
  l.retransmits = j.at("retransmits").get<std::uint64_t>();
  l.duplicates = j.at("duplicates").get<std::uint64_t>();
}

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
    s += w.accounted() ? w.samples_computed : w.samples_pushed;
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
    s += w.samples_pending_at_end + (w.accounted() ? w.samples_in_flight : 0);
  return s;
}

double run_account::utilization() const {
  double capacity = 0.0;
  for (auto& w : workers)
    capacity += (base_rate > 0.0 ? base_rate : solo_samples_per_s) * w.speed;
  capacity *= std::max(0.0, elapsed_s - paused_s);
  return capacity > 0.0 ? static_cast<double>(samples_applied) / capacity : 0.0;
}

run_account::latency_means run_account::latencies() const {
  latency_means m;
  std::uint64_t contributions = 0;
  std::uint64_t jobs = 0;
  for (auto& w : workers) {
    m.push_s += w.push_latency_s;
    m.push_cpu_wait_s += std::min(w.push_cpu_wait_s, w.push_latency_s);
    m.release_s += w.release_latency_s;
    m.release_cpu_wait_s += std::min(w.release_cpu_wait_s, w.release_latency_s);
    contributions += w.contributions;
    jobs += w.jobs;
  }
  auto mean = [](double sum, std::uint64_t n) { return n ? sum / static_cast<double>(n) : 0.0; };
  m.push_s = mean(m.push_s, contributions);
  m.push_cpu_wait_s = mean(m.push_cpu_wait_s, contributions);
  m.release_s = mean(m.release_s, jobs);
  m.release_cpu_wait_s = mean(m.release_cpu_wait_s, jobs);
  return m;
}

double run_account::control_overhead(bool exclude_cpu_wait) const {
  if (rounds == 0 || elapsed_s <= 0.0)
    return 0.0;
  auto m = latencies();
  double per_round = aggregator_busy_s / static_cast<double>(rounds) + m.push_s + m.release_s;
  if (exclude_cpu_wait)
    per_round -= m.push_cpu_wait_s + m.release_cpu_wait_s;
  return per_round / (elapsed_s / static_cast<double>(rounds));
}

std::string run_account::summary_json() const {
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
  j["paused_s"] = paused_s;
  j["pauses"] = pauses;
  j["rounds"] = rounds;
  j["version"] = version;
  j["samples_computed"] = samples_computed();
  j["samples_applied"] = samples_applied;
  j["samples_dropped"] = samples_dropped();
  j["samples_in_flight_at_end"] = samples_in_flight_at_end();
  j["utilization"] = utilization();
  j["solo_samples_per_s"] = solo_samples_per_s;
  j["base_rate"] = base_rate;
  j["bytes_moved"] = bytes_moved;
  j["rejected_messages"] = rejected_messages;
  j["evaluations"] = evaluations;
  auto lat = latencies();
  // Latencies and round time are on the run clock. With the simulated clock they are all the
  // summary keeps: the aggregator's cost and core waits are measured, and go to wall.json.
  json control = {{"push_latency_mean_s", lat.push_s},
                  {"release_latency_mean_s", lat.release_s},
                  {"round_s", rounds ? elapsed_s / static_cast<double>(rounds) : 0.0}};
  if (clock != "simulated") {
    control["aggregator_busy_s"] = aggregator_busy_s;
    control["aggregator_wall_s"] = aggregator_wall_s;
    control["aggregator_busy_per_round_s"] =
      rounds ? aggregator_busy_s / static_cast<double>(rounds) : 0.0;
    control["push_cpu_wait_mean_s"] = lat.push_cpu_wait_s;
    control["release_cpu_wait_mean_s"] = lat.release_cpu_wait_s;
    control["overhead_fraction"] = control_overhead(true);
    control["overhead_fraction_with_cpu_wait"] = control_overhead(false);
  }
  j["control"] = control;
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
                   {"samples", w.accounted() ? w.samples_computed : w.samples_pushed},
                   {"samples_applied", w.samples_applied},
                   {"samples_in_flight_at_end",
                    w.samples_pending_at_end + (w.accounted() ? w.samples_in_flight : 0)},
                   {"dropped", dropped},
                   {"compute_s", w.compute_s},
                   {"stretch_s", w.stretch_s},
                   {"idle_s", w.idle_s},
                   {"busy_samples_per_s", rate},
                   {"contributions", w.contributions},
                   {"early_jobs", w.early_jobs},
                   {"reported", w.accounted()},
                   {"incarnations", w.incarnations},
                   {"crashes", w.crashes},
                   {"link", w.link},
                   {"failed", w.failed}});
  }
  j["per_worker"] = per;
  if (stragglers.enabled) {
    json steps = json::array();
    for (std::size_t w = 0; w < stragglers.per_worker.size(); ++w) {
      const auto& s = stragglers.per_worker[w];
      steps.push_back({{"id", w},
                       {"steps", s.steps},
                       {"min_s", s.min_s},
                       {"median_s", s.median_s},
                       {"max_s", s.max_s},
                       {"ewma_s", s.ewma_s},
                       {"ewma_s_per_sample", s.ewma_s_per_sample}});
    }
    j["stragglers"] = {{"current", stragglers.current ? json(*stragglers.current) : json(nullptr)},
                       {"changes", stragglers.changes},
                       {"step_time", steps}};
  }
  return j.dump(2);
}

json run_account::wall_json() const {
  return {
    {"aggregator_busy_s", aggregator_busy_s},
    {"aggregator_wall_s", aggregator_wall_s},
    {"aggregator_busy_per_round_s", rounds ? aggregator_busy_s / static_cast<double>(rounds) : 0.0},
    {"rounds", rounds},
    {"evaluations", evaluations},
    {"eval_wall_s", eval_wall_s},
    {"checkpoint_wall_s", checkpoint_wall_s}};
}

}  // namespace hetsgd
