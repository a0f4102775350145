#pragma once
/// Registers every hetsgd message type with an actor system config, under stable names, so that
/// local and remote nodes agree. Call before constructing the actor_system.

namespace caf {
class actor_system_config;
}

namespace hetsgd {

void register_message_types(caf::actor_system_config& cfg);

}  // namespace hetsgd
