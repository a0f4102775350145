#include "actors/model_registration.hpp"

#include "config/registered_choices.hpp"

#include <utility>

namespace hetsgd {

void register_model(const std::string& name, model_factory factory) {
  register_model_factory(name, std::move(factory));  // validates first: nothing half-registered
  register_choice("model.name", name);
}

}  // namespace hetsgd
