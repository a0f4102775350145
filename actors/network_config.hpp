#pragma once
/// The CAF settings of a process that talks to other processes (an aggregator with worker
/// processes, or a worker process): the middleman (CAF's I/O layer) loaded, and its heartbeat on.
/// CAF 0.17 leaves heartbeats off by default, so a peer that freezes (SIGSTOP, a partition) would
/// never be noticed; only a closed socket would.

namespace caf {
class actor_system_config;
}

namespace hetsgd {

/// Loads the middleman and sets `middleman.heartbeat-interval` to heartbeat_s and
/// `middleman.connection-timeout` to 2 × timeout_s (seconds): hetsgd's own heartbeat (every
/// worker process, timeout_s) finds a frozen worker first; CAF's cuts a connection that stays
/// silent well beyond it, e.g. to a frozen aggregator.
void configure_network(caf::actor_system_config& cfg, double heartbeat_s, double timeout_s);

/// register_message_types + configure_network with the defaults of cluster.heartbeat_s (1 s) and
/// cluster.heartbeat_timeout_s (10 s): a node of a hetsgd cluster before it knows the run's.
void configure_cluster_node(caf::actor_system_config& cfg);

}  // namespace hetsgd
