#pragma once
/// The failure-detection benchmark (issue 7's latency figures): a real `hetsgd aggregator` and
/// worker processes on loopback. One worker is killed with SIGKILL (its socket closes) and one
/// is frozen with SIGSTOP (its socket stays open; only a heartbeat deadline finds it). Measured
/// from the signal to the aggregator's `membership` event that the worker left, and from the
/// replacement's start (or the thaw) to its `rejoined` event.

#include <string>

namespace hetsgd::bench {

struct detection_options {
  std::string config = "config/examples/default.toml";
  std::string hetsgd;  ///< the hetsgd binary; "" = next to bench_runtime's directory
  int workers = 3;
  int reps = 3;                      ///< kills and freezes, each
  double heartbeat_s = 0.5;          ///< cluster.heartbeat_s
  double heartbeat_timeout_s = 2.0;  ///< cluster.heartbeat_timeout_s: the freeze deadline
  double deadline_s = 60.0;          ///< longest wait for any one event before giving up
  std::string commit = "unknown";
  std::string out;
};

/// Runs the kills and freezes and writes one JSON document to o.out; 0 on success.
int bench_detection(const detection_options& o, const std::string& self_exe);

}  // namespace hetsgd::bench
