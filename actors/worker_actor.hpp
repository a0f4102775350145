#pragma once
/// The worker: one per device, spawned detached because LibTorch calls block. It holds a model
/// replica and a seeded data shard and computes micro-batch by micro-batch, sending itself a
/// compute message between micro-batches so that control messages (new job, restart, upload
/// request, stop) are handled promptly. It carries out its policy's worker_mode:
/// - push_and_wait: one batch of gradients, push the sum, wait for the next job;
/// - local_steps: local SGD steps, upload the model (or its delta), wait;
/// - continuous (ABS-SGD): never wait; on an upload request hand over the gradient accumulator
///   and keep computing on the same weights; adopt the released weights at the next hand-over;
/// - delayed_local (OD-SGD): push, then continue from the one-step-old global weights minus its
///   own latest step, without waiting for the round it just pushed to.
/// Emulated speed: after each micro-batch a worker of speed s waits (a delayed self-message, so
/// it frees its core and still answers control messages) until the micro-batch has taken
/// n / (s × base_rate) seconds; with base_rate = 0 it waits (1/s − 1) × the measured compute.
/// Link faults (delay, drop, slow_link) act on its messages to and from the aggregator
/// (worker_link); it recovers lost pushes and lost answers by probing the aggregator.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>

#include "actors/round_collective.hpp"
#include "actors/run_clock.hpp"
#include "actors/step_time_model.hpp"
#include "actors/worker_counters.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

struct labeled_data;

struct worker_params {
  worker_id id = 0;
  int workers = 1;         ///< cluster size, for the initial shard split
  double speed = 1.0;      ///< relative compute speed (1 = full speed of this machine)
  double base_rate = 0.0;  ///< samples/s at speed 1 (0 = stretch measured compute)
  std::string model_name;
  /// Where the replica computes: "cpu" or "cuda:N" (checked usable before the worker starts).
  /// Payloads and weights cross in host memory either way.
  std::string device = "cpu";
  std::uint64_t seed = 0;
  std::int64_t micro_batch = 32;     ///< samples per atomic unit of compute
  double request_timeout_s = 120.0;  ///< deadline of every request to the aggregator
  /// train.momentum and train.weight_decay: the replica of the aggregator's optimizer uses
  /// them (gradient rounds over an all-reduce, docs/processes.md).
  double momentum = 0.0;
  double weight_decay = 0.0;
  /// Seconds a push may go unanswered before the worker asks the aggregator whether it arrived
  /// (only once a drop fault has made its link lossy).
  double link_probe_s = 0.2;
  std::shared_ptr<const labeled_data> data;  ///< shared, read-only
  clock_ptr clock;
  caf::actor aggregator;
  caf::actor batch_controller;
  std::shared_ptr<worker_counters>
    counters;           ///< survives the actor (crash accounting); may be null
  caf::actor recorder;  ///< gets the worker's timeline spans (null: no trace)
  /// cluster.transport = "gloo": payloads stay here and are summed in the round's all-reduce.
  collective_params collective;
  /// The network model of this worker's link (link faults come on top).
  double link_latency_s = 0.0;
  double link_bandwidth = 0.0;  ///< bytes/s per direction (0 = unlimited)
  /// Simulated clock only: the seeded noise on each micro-batch's modelled time.
  step_noise_params noise;
  std::uint64_t incarnation = 0;  ///< 0 for the first; keeps each incarnation's noise apart
};

/// Spawns a worker on its own thread.
caf::actor spawn_worker(caf::actor_system& sys, worker_params params);

}  // namespace hetsgd
