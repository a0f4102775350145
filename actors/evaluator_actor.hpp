#pragma once
/// The evaluator: evaluates parameter snapshots on the test set off the critical path (its own
/// thread, its own model replica), so training never waits for accuracy numbers. The aggregator
/// sends a snapshot only when the previous evaluation finished, so snapshots never queue up.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>

namespace hetsgd {

struct labeled_data;

struct evaluator_params {
  std::string model_name;
  std::uint64_t seed = 0;
  std::shared_ptr<const labeled_data> data;  ///< shared, read-only; uses data->test
};

caf::actor spawn_evaluator(caf::actor_system& sys, evaluator_params params);

}  // namespace hetsgd
