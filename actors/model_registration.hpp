#pragma once
/// \file
/// A service that embeds hetsgd trains its own LibTorch model: it registers a factory under a
/// name once, before loading configs, and then selects it with `model.name = "NAME"` like a
/// built-in one (docs/embedding.md).

#include <string>

#include "gpu/models.hpp"

namespace hetsgd {

/// Makes model `name` known to make_model (every worker, the evaluator and the aggregator build
/// their copies with `factory`) and a valid value of `model.name` in configs loaded afterwards.
/// Throws std::invalid_argument for an empty or built-in name or an empty factory. Thread-safe.
void register_model(const std::string& name, model_factory factory);

}  // namespace hetsgd
