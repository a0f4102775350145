#pragma once
/// The serialization context of the message fuzz target and its seed writer: an actor system
/// with hetsgd's message types registered under their network names, as on every node, and
/// CAF's test scheduler, so that it starts no threads.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "actors/message_types.hpp"

namespace hetsgd::fuzz {

/// Never destroyed: libFuzzer leaves through exit(), and an actor system torn down by a static
/// destructor then meets CAF's own statics already gone (it crashed in ref_counted::deref).
/// Both stay reachable from these pointers, so LeakSanitizer does not count them.
inline caf::actor_system& wire_system() {
  static caf::actor_system_config* cfg = [] {
    auto* c = new caf::actor_system_config;
    c->set("scheduler.policy", caf::atom("testing"));
    c->set("logger.file-verbosity", caf::atom("quiet"));
    c->set("logger.console-verbosity", caf::atom("quiet"));
    register_message_types(*c);
    return c;
  }();
  static caf::actor_system* sys = new caf::actor_system{*cfg};
  return *sys;
}

}  // namespace hetsgd::fuzz
