#pragma once
/// The batch controller: receives per-worker throughput reports and, through a batch policy,
/// sets each worker's batch size and data share. It pushes a new plan to the aggregator when
/// the policy changes it; the aggregator uses it from each worker's next job on.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>

#include "policies/batch_policy.hpp"

namespace hetsgd {

caf::actor spawn_batch_controller(caf::actor_system& sys, std::shared_ptr<batch_policy> policy);

}  // namespace hetsgd
