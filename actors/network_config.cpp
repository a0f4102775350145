#include "actors/network_config.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>

#include "actors/message_types.hpp"

namespace hetsgd {

void configure_network(caf::actor_system_config& cfg, double heartbeat_s, double timeout_s) {
  cfg.load<caf::io::middleman>();
  auto span = [](double s) {
    return caf::timespan{std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(s))};
  };
  cfg.set("middleman.heartbeat-interval", span(heartbeat_s));
  cfg.set("middleman.connection-timeout", span(2.0 * timeout_s));
}

void configure_cluster_node(caf::actor_system_config& cfg) {
  register_message_types(cfg);
  configure_network(cfg, 1.0, 10.0);
}

}  // namespace hetsgd
