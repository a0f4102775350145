#include "gpu/models.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <cmath>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace hetsgd {
namespace {

/// Multi-layer perceptron 784-256-128-10 with ReLU.
class mlp final : public classifier {
 public:
  mlp()
      : classifier("mlp"),
        fc1_(register_module("fc1", torch::nn::Linear(784, 256))),
        fc2_(register_module("fc2", torch::nn::Linear(256, 128))),
        fc3_(register_module("fc3", torch::nn::Linear(128, 10))) {}

  at::Tensor forward(at::Tensor x) override {
    x = x.reshape({x.size(0), 784});
    x = fc1_->forward(x).relu_();
    x = fc2_->forward(x).relu_();
    return fc3_->forward(x);
  }

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};

/// Small CNN: 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4; 16*4*4 = 256 features.
class cnn final : public classifier {
 public:
  // Registered in declaration order, which fixes the order of the flat parameter vector.
  cnn()
      : classifier("cnn"),
        conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 5)))),
        conv2_(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 5)))),
        fc1_(register_module("fc1", torch::nn::Linear(256, 64))),
        fc2_(register_module("fc2", torch::nn::Linear(64, 10))) {}

  at::Tensor forward(at::Tensor x) override {
    x = at::max_pool2d(conv1_->forward(x), {2, 2}).relu_();
    x = at::max_pool2d(conv2_->forward(x), {2, 2}).relu_();
    x = x.reshape({x.size(0), 256});
    x = fc1_->forward(x).relu_();
    return fc2_->forward(x);
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};

/// Re-draws every parameter from `gen` as LibTorch's default init does for Linear and Conv2d:
/// kaiming_uniform(a = sqrt(5)) for weights and the matching uniform for biases both come to
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_features or in_channels * kh * kw.
/// Parameters are visited in registration order, so the draw sequence is fixed per model.
void reinitialize(torch::nn::Module& model, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (const auto& module : model.modules(/*include_self=*/true)) {
    auto own = module->named_parameters(/*recurse=*/false);
    const auto* weight = own.find("weight");
    if (weight == nullptr || weight->dim() < 2)
      continue;
    const int64_t fan_in = weight->numel() / weight->size(0);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (auto& p : own.values())
      p.uniform_(-bound, bound, gen);
  }
}

/// The models a program registered (register_model_factory), in registration order.
struct factory_table {
  std::mutex mutex;
  std::vector<std::pair<std::string, model_factory>> entries;
};

factory_table& factories() {
  static factory_table t;
  return t;
}

/// The registered factory of `name`, or an empty one.
model_factory find_factory(const std::string& name) {
  auto& t = factories();
  std::lock_guard<std::mutex> lock(t.mutex);
  for (const auto& [n, f] : t.entries)
    if (n == name)
      return f;
  return {};
}

[[noreturn]] void unknown_model(const std::string& name) {
  std::string choices;
  for (const auto& n : model_names())
    choices += (choices.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "'; choices are: " + choices);
}

model_handle construct_builtin(const std::string& name) {
  if (name == "mlp")
    return std::make_shared<mlp>();
  if (name == "cnn")
    return std::make_shared<cnn>();
  unknown_model(name);
}

/// Runs a registered factory; whatever goes wrong in it is reported under the model's name.
model_handle construct_registered(const std::string& name, const model_factory& factory,
                                  uint64_t seed) {
  model_handle model;
  try {
    model = factory(seed);
  } catch (const std::exception& e) {
    throw std::runtime_error("model factory '" + name + "' failed: " + e.what());
  } catch (...) {
    throw std::runtime_error("model factory '" + name + "' failed: it threw a non-std exception");
  }
  if (!model)
    throw std::runtime_error("model factory '" + name + "' failed: it returned no model");
  if (model->parameters().empty())
    throw std::runtime_error("model factory '" + name + "' failed: its model has no parameters");
  return model;
}

}  // namespace

void register_model_factory(const std::string& name, model_factory factory) {
  if (name.empty())
    throw std::invalid_argument("register_model_factory: the model name is empty");
  if (is_builtin_model(name))
    throw std::invalid_argument("register_model_factory: '" + name +
                                "' is a built-in model; choose another name");
  if (!factory)
    throw std::invalid_argument("register_model_factory: the factory of '" + name + "' is empty");
  auto& t = factories();
  std::lock_guard<std::mutex> lock(t.mutex);
  for (auto& [n, f] : t.entries)
    if (n == name) {
      f = std::move(factory);
      return;
    }
  t.entries.emplace_back(name, std::move(factory));
}

model_handle make_model(const std::string& name) {
  if (auto f = find_factory(name))
    return construct_registered(name, f, 0);
  return construct_builtin(name);
}

model_handle make_model(const std::string& name, uint64_t seed) {
  if (auto f = find_factory(name))
    return construct_registered(name, f, seed);
  auto model = construct_builtin(name);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  reinitialize(*model, gen);
  return model;
}

bool is_builtin_model(const std::string& name) {
  return name == "mlp" || name == "cnn";
}

std::vector<std::string> model_names() {
  std::vector<std::string> names{"mlp", "cnn"};
  auto& t = factories();
  std::lock_guard<std::mutex> lock(t.mutex);
  for (const auto& entry : t.entries)
    names.push_back(entry.first);
  return names;
}

}  // namespace hetsgd
