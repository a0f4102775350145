#pragma once
/// Counters of one run, kept by the aggregator and turned into summary.json. Every sample a
/// worker computed ends up in exactly one bucket: applied, dropped (by reason) or in flight at
/// the end, so samples_computed = samples_applied + samples_dropped + samples_in_flight_at_end.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/straggler_report.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

constexpr std::size_t drop_reason_count = 7;

/// What one worker's link did under link faults: what it lost (both ways, from the worker's
/// final report), what the aggregator's probe answers found (pushes that never came; answers
/// sent again because the first was lost or is late), pushes the worker sent again, and copies
/// that arrived twice (never counted twice). summary.json's per_worker[].link and checkpoints
/// both use this JSON form.
struct link_counters {
  std::uint64_t lost = 0;
  std::uint64_t pushes_missing = 0;
  std::uint64_t answers_resent = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t duplicates = 0;
};

void to_json(nlohmann::json& j, const link_counters& l);
void from_json(const nlohmann::json& j, link_counters& l);  ///< every field required

struct worker_account {
  worker_id id = 0;
  double speed = 1.0;
  std::uint64_t samples_pushed = 0;  ///< samples in contributions that reached the aggregator
  std::uint64_t samples_applied = 0;
  std::array<std::uint64_t, drop_reason_count> dropped{};  ///< samples, by drop_reason
  std::uint64_t samples_pending_at_end = 0;                ///< arrived, never applied or dropped
  std::uint64_t contributions = 0;
  double push_latency_s = 0.0;   ///< Σ (arrival − sent)
  double push_cpu_wait_s = 0.0;  ///< part of it the aggregator's thread waited for a core
  bool final_stats = false;      ///< the worker answered the stop request
  bool failed = false;
  bool left = false;
  std::uint32_t incarnations = 0;  ///< joins (1 + rejoins)
  std::uint32_t booked = 0;        ///< incarnations whose samples are booked (stop or crash)
  std::uint32_t crashes = 0;       ///< incarnations lost to a crash
  link_counters link;
  /// Every incarnation's computed samples are known: reported at the stop or read at the crash.
  bool accounted() const { return incarnations > 0 && booked == incarnations; }
  // Summed over the incarnations: from their final reports, or read at their crash.
  std::uint64_t samples_computed = 0;
  std::uint64_t samples_in_flight = 0;
  std::uint64_t micro_batches = 0;
  std::uint64_t jobs = 0;
  std::uint64_t early_jobs = 0;  ///< of them, started before their release (replicas)
  double compute_s = 0.0;
  double stretch_s = 0.0;
  double idle_s = 0.0;
  double release_latency_s = 0.0;
  double release_cpu_wait_s = 0.0;  ///< part of release_latency_s spent waiting for a core

  std::uint64_t dropped_total() const;
};

/// The straggler report at the end of the run.
struct straggler_summary {
  bool enabled = false;
  std::optional<worker_id> current;  ///< the straggler when the run ended
  std::uint64_t changes = 0;         ///< straggler events (became + recovered)
  std::vector<step_time_stats> per_worker;
};

struct run_account {
  std::string policy;
  std::string clock;
  std::string model;
  std::uint64_t seed = 0;
  double target_accuracy = 0.0;
  double final_accuracy = 0.0;
  double final_loss = 0.0;
  bool final_evaluated = false;
  std::optional<double> time_to_target_s;
  double elapsed_s = 0.0;
  /// Run-clock seconds the run spent paused by its program ((pause_atom), start_paused): part
  /// of elapsed_s, not of the capacity utilization counts.
  double paused_s = 0.0;
  std::uint64_t pauses = 0;  ///< pauses taken (a paused start counts as one)
  std::uint64_t rounds = 0;
  std::uint64_t version = 0;
  std::uint64_t samples_applied = 0;
  double solo_samples_per_s = 0.0;  ///< measured at speed 1
  double base_rate = 0.0;           ///< samples/s workers are paced to at speed 1 (0: unpaced)
  double aggregator_busy_s = 0.0;   ///< CPU time spent inside aggregator handlers
  double aggregator_wall_s = 0.0;   ///< wall time spent inside them (includes preemption)
  double eval_wall_s = 0.0;         ///< wall time the evaluations took, summed
  double checkpoint_wall_s = 0.0;   ///< wall time writing checkpoints took, summed
  std::uint64_t evaluations = 0;
  std::uint64_t bytes_moved = 0;  ///< payload bytes of contributions and jobs
  /// Messages from other processes refused by validation (a heartbeat for a worker id its
  /// sender does not run, ...): counted, never used.
  std::uint64_t rejected_messages = 0;
  int exit_code = 0;
  std::string end_reason;
  std::vector<worker_account> workers;
  std::vector<std::string> errors;
  straggler_summary stragglers;

  std::uint64_t samples_computed() const;
  std::uint64_t samples_dropped() const;
  std::uint64_t samples_in_flight_at_end() const;
  /// useful samples / (Σ rate_i × (elapsed − paused)), rate_i = speed_i × the rate of a speed-1
  /// worker: base_rate when workers are paced, else the measured solo throughput.
  double utilization() const;
  /// Mean push and release latencies over the run, seconds, each with its core-wait part.
  struct latency_means {
    double push_s = 0.0;
    double push_cpu_wait_s = 0.0;
    double release_s = 0.0;
    double release_cpu_wait_s = 0.0;
  };
  latency_means latencies() const;
  /// Mean per round: (aggregator handling CPU + push latency + release latency) / round time.
  /// With `exclude_cpu_wait`, the release latency leaves out the time a released worker spent
  /// runnable but waiting for a core (oversubscription, not the actor layer).
  double control_overhead(bool exclude_cpu_wait = true) const;
  /// summary.json text (2-space indented). With the simulated clock it holds no wall-clock
  /// figure, so that it is byte-identical run after run: those go to wall_json().
  std::string summary_json() const;
  /// The measured wall-clock and CPU figures (wall.json): aggregator cost, evaluation time.
  nlohmann::json wall_json() const;
};

}  // namespace hetsgd
