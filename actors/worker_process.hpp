#pragma once
/// A worker process (`hetsgd worker --connect HOST:PORT`): it reaches the aggregator's front door
/// over CAF's middleman, says hello with the token, gets its id, the run's effective config and
/// the handles it reports to, loads the data set named in that config, and runs one worker actor
/// (the same actor as in one process) until the run stops it. A process that loses its
/// aggregator retries with backoff, asking for the id it had, until cluster.reconnect_s is spent.

#include <cstdint>
#include <string>

#include "actors/network_config.hpp"

namespace hetsgd {

struct worker_process_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string token;
  double speed = 0.0;  ///< > 0: overrides the config's speed for this worker
  std::string device = "cpu";
  /// The address other workers reach this one at for the round groups (cluster.transport =
  /// "gloo"); "" = loopback when the aggregator is on loopback, else this host's name.
  std::string collective_host;
  /// Until the first assignment tells the run's own values: how long to keep trying to reach
  /// the aggregator, and the middleman heartbeat (seconds).
  double reconnect_s = 30.0;
  double heartbeat_s = 1.0;
  double heartbeat_timeout_s = 10.0;
  /// Mutual TLS with the aggregator (all three or none): this worker's certificate and key, and
  /// the CA that signed the aggregator's.
  tls_files tls;
};

struct worker_process_result {
  int exit_code = 0;  ///< 0 the run ended normally, 1 failure, 2 refused (token, device)
  std::string message;
  std::int64_t worker_id = -1;
};

worker_process_result run_worker_process(const worker_process_options& o);

}  // namespace hetsgd
