#pragma once
/// \file
/// Values a program adds at run time to a string key's built-in choices: a service that embeds
/// hetsgd registers its own model under a name (actors/model_registration.hpp), and that name
/// becomes valid for `model.name` in every config loaded afterwards. Only keys that declare
/// themselves open to it (key_spec::extensible) accept registered values.

#include <string>
#include <vector>

namespace hetsgd {

/// Makes `value` a valid choice of key `key` (dotted name, "model.name") for this process.
/// Registering a value twice is harmless. Thread-safe.
void register_choice(const std::string& key, const std::string& value);

/// The values registered for `key`, in registration order. Thread-safe.
std::vector<std::string> registered_choices(const std::string& key);

}  // namespace hetsgd
