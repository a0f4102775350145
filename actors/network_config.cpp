#include "actors/network_config.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>

namespace hetsgd {

void configure_network(caf::actor_system_config& cfg, double heartbeat_s, double timeout_s) {
  cfg.load<caf::io::middleman>();
  auto span = [](double s) {
    return caf::timespan{std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(s))};
  };
  cfg.set("middleman.heartbeat-interval", span(heartbeat_s));
  cfg.set("middleman.connection-timeout", span(2.0 * timeout_s));
}

}  // namespace hetsgd
