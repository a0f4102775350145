#pragma once
/// \file
/// The models hetsgd trains: classifiers of 28x28 grayscale images into 10 classes.

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hetsgd {

/// A LibTorch module that maps images to class logits. Its parameters() (in registration order,
/// identical across replicas of the same model) are what flat_parameters.hpp flattens.
class classifier : public torch::nn::Module {
public:
  /// `model_name` is the name make_model knows it by ("mlp", "cnn"); Module::name() returns it.
  explicit classifier(const std::string& model_name) : torch::nn::Module(model_name) {}

  /// x: [N, 1, 28, 28] float32 (normalized as in image_dataset). Returns logits [N, 10].
  virtual at::Tensor forward(at::Tensor x) = 0;
};

/// Shared ownership: a worker holds its replica; modules are not copyable.
using model_handle = std::shared_ptr<classifier>;

/// Builds a model by name with LibTorch's default initialization drawn from the global torch
/// generator (torch::manual_seed makes it repeatable). Throws std::invalid_argument naming the
/// unknown name and the choices.
model_handle make_model(const std::string& name);

/// Builds a model by name and initializes every parameter from a private generator seeded with
/// `seed`, with the same distribution as LibTorch's default (uniform in +-1/sqrt(fan_in)).
/// Two calls with the same name and seed give identical weights, whatever the global torch
/// generator state and whichever thread calls (construction still advances the global
/// generator, as every LibTorch module does, but the weights do not depend on it).
model_handle make_model(const std::string& name, uint64_t seed);

/// The names make_model accepts: "mlp" (784-256-128-10, ReLU, 235,146 parameters) and "cnn"
/// (conv 1->8 5x5, maxpool 2, ReLU, conv 8->16 5x5, maxpool 2, ReLU, fc 256->64, ReLU,
/// fc 64->10; 20,522 parameters).
std::vector<std::string> model_names();

} // namespace hetsgd
