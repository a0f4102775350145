#pragma once
/// The worker: one per device, spawned detached because LibTorch calls block. It holds a model
/// replica and a seeded data shard and computes micro-batch by micro-batch, sending itself a
/// compute message between micro-batches so that control messages (new job, restart, stop) are
/// handled promptly. With the real clock, a worker of speed s stays busy for an extra
/// (1/s − 1) × measured compute after each micro-batch via a delayed self-message: it frees its
/// core instead of spinning, and still answers control messages meanwhile.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>

#include "actors/run_clock.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

struct fashion_mnist;

struct worker_params {
  worker_id id = 0;
  int workers = 1;                  ///< cluster size, for the initial shard split
  double speed = 1.0;               ///< relative compute speed (1 = full speed of this machine)
  std::string model_name;
  std::uint64_t seed = 0;
  std::int64_t micro_batch = 32;    ///< samples per atomic unit of compute
  double request_timeout_s = 120.0; ///< deadline of every request to the aggregator
  std::shared_ptr<const fashion_mnist> data;  ///< shared, read-only
  clock_ptr clock;
  caf::actor aggregator;
  caf::actor batch_controller;
};

/// Spawns a worker on its own thread.
caf::actor spawn_worker(caf::actor_system& sys, worker_params params);

}  // namespace hetsgd
