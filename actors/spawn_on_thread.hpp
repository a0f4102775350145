#pragma once
/// Actors that compute or block (workers, the evaluator, the recorder) get a thread of their
/// own with the real clock. Under the simulated clock every actor must run on the driver's
/// thread in virtual-time order, so there they are spawned as ordinary scheduled actors.

#include <caf/actor_system.hpp>

#include <utility>

#include "actors/simulation_driver.hpp"

namespace hetsgd {

template <class F, class... Ts>
caf::actor spawn_on_own_thread(caf::actor_system& sys, F fun, Ts&&... xs) {
  if (simulation_driver::uses_test_scheduler(sys))
    return sys.spawn(fun, std::forward<Ts>(xs)...);
  return sys.spawn<caf::detached>(fun, std::forward<Ts>(xs)...);
}

}  // namespace hetsgd
