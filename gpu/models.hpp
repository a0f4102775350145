#pragma once
/// \file
/// The models hetsgd trains: classifiers of 28x28 grayscale images into 10 classes.

#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hetsgd {

/// A LibTorch module that maps images to class logits (the built-in models take [N, 1, 28, 28]
/// and give [N, 10]; a registered model takes whatever its data set's images are). Its parameters()
/// (in registration order, identical across replicas of the same model) are what
/// flat_parameters.hpp flattens.
class classifier : public torch::nn::Module {
 public:
  /// `model_name` is the name make_model knows it by ("mlp", "cnn"); Module::name() returns it.
  explicit classifier(const std::string& model_name) : torch::nn::Module(model_name) {}

  /// x: a batch of the data set's images, [N, ...] float32. Returns logits [N, classes].
  virtual at::Tensor forward(at::Tensor x) = 0;
};

/// Shared ownership: a worker holds its replica; modules are not copyable.
using model_handle = std::shared_ptr<classifier>;

/// Builds a fresh model for a run seeded with `seed`. Every call must give the same architecture
/// (the replicas exchange flat parameters); the weights it starts with matter only for the
/// aggregator's copy, which the workers receive.
using model_factory = std::function<model_handle(uint64_t seed)>;

/// Adds `factory` under `name` to the models make_model knows, for this process (a service
/// embedding hetsgd trains its own model; actors/model_registration.hpp also makes the name valid
/// in configs). Throws std::invalid_argument for an empty name, a built-in name or an empty
/// factory. Registering a name again replaces its factory. Thread-safe.
void register_model_factory(const std::string& name, model_factory factory);

/// Builds a model by name with LibTorch's default initialization drawn from the global torch
/// generator (torch::manual_seed makes it repeatable). Throws std::invalid_argument naming the
/// unknown name and the choices.
model_handle make_model(const std::string& name);

/// Builds a model by name. A built-in model initializes every parameter from a private generator
/// seeded with `seed`, with the same distribution as LibTorch's default (uniform in
/// +-1/sqrt(fan_in)). Two calls with the same name and seed give identical weights, whatever the
/// global torch generator state and whichever thread calls (construction still advances the global
/// generator, as every LibTorch module does, but the weights do not depend on it). A registered
/// model is what its factory returns for `seed`; a factory that throws or returns no model gives
/// std::runtime_error "model factory 'NAME' failed: WHAT".
model_handle make_model(const std::string& name, uint64_t seed);

/// True for the models hetsgd ships ("mlp", "cnn"), which `hetsgd worker` processes can build.
bool is_builtin_model(const std::string& name);

/// The names make_model accepts: "mlp" (784-256-128-10, ReLU, 235,146 parameters) and "cnn"
/// (conv 1->8 5x5, maxpool 2, ReLU, conv 8->16 5x5, maxpool 2, ReLU, fc 256->64, ReLU,
/// fc 64->10; 20,522 parameters), then the registered names in registration order.
std::vector<std::string> model_names();

}  // namespace hetsgd
