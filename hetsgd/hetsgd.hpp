#pragma once
/// \file
/// hetsgd's public API for programs that embed it (docs/embedding.md): everything a service needs
/// to load a config, register its own model, hand in its own data set, run training in its
/// process and follow the run's events.
///
///   find_package(hetsgd REQUIRED)
///   target_link_libraries(my_service PRIVATE hetsgd::hetsgd)
///
///   #include <hetsgd/hetsgd.hpp>
///
/// The pieces, each documented in its own header:
/// - config/config_loader.hpp: load_config, load_config_string (TOML, --set style overrides,
///   errors with file:line:column), run_config and its keys (docs/config.md);
/// - actors/model_registration.hpp: register_model(name, factory), then model.name = "name";
/// - gpu/image_dataset.hpp: labeled_data (train and test tensors) and check_labeled_data;
/// - actors/training_run.hpp: run_training(config, options) with run_options (the data set, the
///   event subscriber on_event, progress, a stop flag, a memory budget) and run_result;
/// - policies/policy_registry.hpp: the policies by name (policy.name picks one per run);
/// - actors/message_types.hpp: register_message_types(caf::actor_system_config&), for a program
///   that builds its own actor system and talks to hetsgd's actors (the same names on every node);
/// - actors/atoms.hpp and actors/messages.hpp: the run's control messages (status_atom,
///   checkpoint_atom, pause_atom, resume_atom, run_atom, subscribe_atom, stop_atom) and
///   run_status_msg, sent to the actor run_options::on_started hands over.

#include "actors/atoms.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/model_registration.hpp"
#include "actors/training_run.hpp"
#include "config/config_loader.hpp"
#include "config/run_config.hpp"
#include "gpu/image_dataset.hpp"
#include "gpu/models.hpp"
#include "policies/policy_registry.hpp"

namespace hetsgd {

/// The version of the hetsgd library the program runs with, "MAJOR.MINOR.PATCH" (the CMake
/// project version it was built as; find_package(hetsgd X.Y) checks the same number).
const char* version();

}  // namespace hetsgd
