#pragma once
/// The CAF settings of a process that talks to other processes (an aggregator with worker
/// processes, or a worker process): the middleman (CAF's I/O layer) loaded, and its heartbeat on.
/// CAF 0.17 leaves heartbeats off by default, so a peer that freezes (SIGSTOP, a partition) would
/// never be noticed; only a closed socket would. Optionally TLS (libcaf_openssl) with
/// certificates on both sides.

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>

namespace caf {
class actor_system;
class actor_system_config;
}  // namespace caf

namespace hetsgd {

/// PEM files for mutual TLS between the aggregator and its worker processes: this node's
/// certificate (chain) and private key, and the CA that signed the peers' certificates. All
/// three, or none (plain TCP).
struct tls_files {
  std::string cert;
  std::string key;
  std::string ca;
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

/// Whether this build can speak TLS (libcaf_openssl was found).
bool tls_compiled_in();

/// Empty when `tls` is off or its files load (the key matches the certificate, the CA file
/// parses); otherwise what is wrong, naming the file. `names` says how the three are called
/// where they came from, e.g. {"cluster.tls_cert", "cluster.tls_key", "cluster.tls_ca"}.
std::string check_tls_files(const tls_files& tls, const tls_files& names);

/// Loads the middleman and sets `middleman.heartbeat-interval` to heartbeat_s and
/// `middleman.connection-timeout` to 2 × timeout_s (seconds): hetsgd's own heartbeat (every
/// worker process, timeout_s) finds a frozen worker first; CAF's cuts a connection that stays
/// silent well beyond it, e.g. to a frozen aggregator. With `tls` on, loads CAF's OpenSSL
/// manager with those files (check them first: CAF aborts on a file it cannot load).
void configure_network(caf::actor_system_config& cfg, double heartbeat_s, double timeout_s,
                       const tls_files& tls = {});

/// register_message_types + configure_network with the defaults of cluster.heartbeat_s (1 s) and
/// cluster.heartbeat_timeout_s (10 s): a node of a hetsgd cluster before it knows the run's.
void configure_cluster_node(caf::actor_system_config& cfg);

/// Publishes `whom` at host:port (port 0 = any), over TLS when `tls` is on; the port taken.
caf::expected<std::uint16_t> publish_actor(caf::actor_system& sys, const caf::actor& whom,
                                           std::uint16_t port, const std::string& host,
                                           const tls_files& tls);

/// The actor published at host:port, over TLS when `tls` is on.
caf::expected<caf::actor> connect_actor(caf::actor_system& sys, const std::string& host,
                                        std::uint16_t port, const tls_files& tls);

}  // namespace hetsgd
