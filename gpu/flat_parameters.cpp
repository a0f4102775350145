#include "gpu/flat_parameters.hpp"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace hetsgd {

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters())
    n += p.numel();
  return n;
}

at::Tensor flatten_parameters(const torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  const auto params = module.parameters();
  if (params.empty())
    return at::empty({0}, at::kFloat);
  std::vector<at::Tensor> pieces;
  pieces.reserve(params.size());
  for (const auto& p : params)
    pieces.push_back(p.detach().reshape({-1}));
  return at::cat(pieces);  // always a fresh tensor
}

void load_flat_parameters(torch::nn::Module& module, const at::Tensor& flat) {
  const int64_t expected = parameter_count(module);
  if (!flat.defined() || flat.dim() != 1 || flat.numel() != expected)
    throw std::invalid_argument(
      "load_flat_parameters: expected a 1-D tensor of " + std::to_string(expected) +
      " elements for model '" + module.name() + "', got " +
      (flat.defined() ? "a " + std::to_string(flat.dim()) + "-D tensor of " +
                          std::to_string(flat.numel()) + " elements"
                      : std::string("an undefined tensor")));
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : module.parameters()) {
    const int64_t n = p.numel();
    p.copy_(flat.narrow(0, offset, n).view(p.sizes()));
    offset += n;
  }
}

at::Tensor flatten_gradients(const torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  const auto params = module.parameters();
  const int64_t total = parameter_count(module);
  auto flat =
    at::empty({total}, params.empty() ? at::TensorOptions(at::kFloat) : params.front().options());
  int64_t offset = 0;
  for (const auto& p : params) {
    const int64_t n = p.numel();
    auto dst = flat.narrow(0, offset, n);
    const auto& g = p.grad();
    if (g.defined())
      dst.copy_(g.reshape({-1}));
    else
      dst.zero_();
    offset += n;
  }
  return flat;
}

void zero_gradients(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    auto& g = p.mutable_grad();
    if (g.defined()) {
      if (g.grad_fn() != nullptr)
        g = g.detach();
      g.zero_();
    }
  }
}

}  // namespace hetsgd
