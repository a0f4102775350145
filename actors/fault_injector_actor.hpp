#pragma once
/// The fault injector: plays a run's [[faults]] schedule against the workers, on the run's
/// clock. Each fault starts at `at_s` seconds and, for the kinds that last, ends `duration_s`
/// later (0 = until the end of the run). Kinds played here:
/// - slowdown: the worker's every micro-batch takes `factor` times as long;
/// - pause: the worker is frozen (computes and pushes nothing), then resumes;
/// - nan: the worker's contributions are NaN (the aggregator must reject them);
/// - crash: the worker's actor is killed: its state and unpushed work are lost;
/// - rejoin: a new incarnation of the worker is spawned and joins the running job (a live one is
///   killed first: a restart); the faults that are on carry over to it;
/// - disturbance: at its start and at every epoch end while it is on, each worker not already
///   disturbed is slowed by `factor` with probability `probability`, for 1..max_epochs epochs;
/// - delay, drop, slow_link: the worker's link to the aggregator adds `delay_s` to every message,
///   loses pushes and answers with probability `probability`, or carries `bandwidth_mb_s` MB/s.
/// Link faults and disturbances without a worker aim at every worker.
/// Every start and end is logged as a `fault` event, per worker. Epoch ends come from the
/// aggregator (epoch_atom).

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <functional>
#include <vector>

#include "actors/run_clock.hpp"
#include "config/run_config.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

struct fault_injector_params {
  std::vector<fault_spec> faults;
  clock_ptr clock;
  caf::actor recorder;
  std::vector<caf::actor> workers;               ///< the first incarnation of each worker
  std::function<caf::actor(worker_id)> respawn;  ///< spawns a new incarnation (rejoin)
  std::uint64_t seed = 0;                        ///< the run's seed (disturbance draws)
};

/// Fault kinds this build plays; the others are refused before a run starts.
bool fault_kind_supported(const std::string& kind);

caf::actor spawn_fault_injector(caf::actor_system& sys, fault_injector_params p);

}  // namespace hetsgd
