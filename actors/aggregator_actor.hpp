#pragma once
/// The aggregator: one per job. Owns the version counter, the master weights and the optimizer.
/// On every arrival, timer and membership change it asks its round policy what to do, and
/// carries the decision out: combine and apply contributions, drop (counted and logged),
/// release or restart workers, arm timers. Workers waiting for a release hold a response
/// promise that is delivered when the policy releases them. Every wait has a deadline: joins,
/// rounds (a watchdog ends a run in which no round closes for request_timeout_s), evaluations
/// and the stop handshake.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "actors/checkpoint_state.hpp"
#include "actors/round_collective.hpp"
#include "actors/run_clock.hpp"
#include "actors/worker_counters.hpp"
#include "policies/round_policy.hpp"

namespace hetsgd {

struct aggregator_params {
  std::shared_ptr<round_policy> policy;
  at::Tensor initial_weights;  ///< flat parameter vector
  clock_ptr clock;
  int workers = 1;
  std::vector<double> speeds;       ///< relative speed per worker
  double solo_samples_per_s = 0.0;  ///< measured solo throughput at speed 1
  double base_rate = 0.0;           ///< samples/s workers are paced to at speed 1 (0: none)
  double lr = 0.05;
  double momentum = 0.0;
  double weight_decay = 0.0;
  std::uint64_t max_samples = 0;  ///< 0 = no limit
  /// Training-set size: each time this many more samples are applied, an epoch ends and the
  /// epoch listeners (the fault injector's disturbances) hear of it (0: no epochs).
  std::uint64_t samples_per_epoch = 0;
  double max_seconds = 0.0;  ///< 0 = no limit
  double target_accuracy = 0.85;
  double eval_every_s = 1.0;
  std::int64_t eval_samples = 0;  ///< 0 = whole test set
  double request_timeout_s = 120.0;
  /// > 0 (worker processes): a worker without a heartbeat for this long is taken as lost,
  /// checked every heartbeat_check_s; its pushes and heartbeats keep a counter mirror up to date.
  double heartbeat_timeout_s = 0.0;
  double heartbeat_check_s = 1.0;
  double progress_every_s = 1.0;
  std::string policy_name;
  std::string model_name;
  std::uint64_t seed = 0;
  caf::actor evaluator;
  caf::actor recorder;
  /// cluster.transport = "gloo": rounds are summed by an all-reduce of their participants, with
  /// the aggregator as rank 0.
  collective_params collective;
  /// With a collective: workers step replicas of the optimizer on the summed gradient
  /// (cluster.replicate_optimizer), so the weights go down only to joiners.
  bool replicate_optimizer = true;
  /// With it: the round's step goes out with the all-reduce request, so that replicas start
  /// their next job on it before the release (cluster.early_start).
  bool early_start = true;
  /// Processes: workers 0 .. hosted_workers-1 run in this process and send their payloads in
  /// their messages; with a collective the aggregator adds them into its own rank.
  std::size_t hosted_workers = 0;
  /// cluster.mode = "processes": checkpoints on request are refused (as from the config).
  bool worker_processes = false;
  caf::actor batch_controller;
  /// Counters of every worker incarnation, to book what a crashed one computed (may be null).
  std::shared_ptr<counter_board> counters;
  bool straggler_report = true;  ///< keep the straggler report (events, progress, summary)
  double straggler_factor = 1.5;
  double straggler_ewma_alpha = 0.2;
  /// Checkpoints to write, and the one this run resumes from (checkpoint_state.hpp).
  checkpoint_params checkpoint;
  /// The run begins paused: workers join and get their jobs but compute nothing until a
  /// program sends (run_atom) or (resume_atom) (run_options::start_paused).
  bool start_paused = false;
};

/// Spawns the aggregator (event-based: its handlers are short and never block).
caf::actor spawn_aggregator(caf::actor_system& sys, aggregator_params p);

}  // namespace hetsgd
