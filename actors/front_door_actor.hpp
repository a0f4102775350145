#pragma once
/// The front door of an aggregator that other processes join (cluster.mode = "processes"): it is
/// what `hetsgd aggregator --listen` publishes. A worker process says hello with the run's token;
/// the front door checks it, picks a free worker id (the one the process had before, when it
/// rejoins), and answers with everything the process needs to run its worker: the effective
/// config, its speed, the pacing rate, the data seed, the run clock, and the aggregator's, batch
/// controller's and recorder's handles. It monitors each admitted process, so the id of one that
/// died is free again for a new process.
///
/// A wrong token or an impossible request is answered with an error naming what is wrong, and
/// logged (stderr and an events.jsonl "refused" event); nothing else happens.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "actors/run_clock.hpp"

namespace hetsgd {

struct front_door_params {
  std::string token;           ///< cluster.token ("" = none required)
  std::string config_toml;     ///< the run's effective config, sent to every worker
  std::vector<double> speeds;  ///< cluster.speeds: one slot per worker id
  /// cluster.hosted_workers: ids 0 .. hosted-1 run in the aggregator's process; never handed out.
  std::size_t hosted = 0;
  double base_rate = 0.0;
  std::uint64_t seed = 0;  ///< the workers' data-order seed
  clock_ptr clock;
  caf::actor aggregator;
  caf::actor batch_controller;
  caf::actor recorder;
  caf::actor rendezvous;  ///< the round groups' store (null: transport "local")
  bool trace = false;     ///< give workers the recorder for timeline spans
};

caf::actor spawn_front_door(caf::actor_system& sys, front_door_params params);

/// Compares two secrets in time independent of where they first differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace hetsgd
