#pragma once
/// Messages between a worker process and the aggregator's process (cluster.mode = "processes"):
/// the hello a worker process sends to the front door, the assignment it gets back, and its
/// heartbeats. Registered under the same names on every node (register_message_types).

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

#include "actors/exact_double.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

/// Worker process → front door: let me in.
struct worker_hello_msg {
  std::string token;   ///< must equal cluster.token
  double speed = 0.0;  ///< > 0: overrides cluster.speeds[id] (`hetsgd worker --speed`)
  std::string device = "cpu";
  std::string host;               ///< the worker's host name, for logs
  std::int64_t pid = 0;           ///< the worker's process id, for logs
  std::int64_t previous_id = -1;  ///< the id it had before losing its aggregator (-1: none)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_hello_msg& x) {
  return f(caf::meta::type_name("hetsgd::worker_hello_msg"), x.token, exact(x.speed), x.device,
           x.host, x.pid, x.previous_id);
}

/// Front door → worker process: who it is and where to report. The worker needs no config file:
/// the run's effective config comes with the assignment.
struct worker_assignment_msg {
  worker_id id = 0;
  std::uint64_t incarnation = 0;  ///< 0 for the first process of this id
  std::string config_toml;        ///< the run's effective config
  double speed = 1.0;             ///< relative speed the worker runs at
  double base_rate = 0.0;         ///< samples/s at speed 1 (pacing); 0 = stretch measured compute
  std::uint64_t seed = 0;         ///< the workers' data-order seed
  double clock_now_s = 0.0;       ///< the aggregator's run clock when it answered, seconds
  caf::actor aggregator;
  caf::actor batch_controller;
  caf::actor recorder;    ///< timeline spans (null: no trace)
  caf::actor rendezvous;  ///< the collective's rendezvous store (null: no collective)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_assignment_msg& x) {
  return f(caf::meta::type_name("hetsgd::worker_assignment_msg"), x.id, x.incarnation,
           x.config_toml, exact(x.speed), exact(x.base_rate), x.seed, exact(x.clock_now_s),
           x.aggregator, x.batch_controller, x.recorder, x.rendezvous);
}

/// Worker process → aggregator, every cluster.heartbeat_s: I am alive, and this is what my
/// worker has done so far (cumulative, this incarnation). The counters let the aggregator book
/// exactly what a process that dies took with it, as the shared counters do in one process.
struct heartbeat_msg {
  worker_id worker = 0;
  std::uint64_t samples_computed = 0;
  std::uint64_t samples_pushed = 0;
  std::uint64_t samples_discarded = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_msg& x) {
  return f(caf::meta::type_name("hetsgd::heartbeat_msg"), x.worker, x.samples_computed,
           x.samples_pushed, x.samples_discarded);
}

}  // namespace hetsgd
