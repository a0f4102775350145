#include "gpu/tensor_checks.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

namespace hetsgd {

bool all_finite(const at::Tensor& t) {
  if (!t.defined() || t.numel() == 0 || !at::isFloatingType(t.scalar_type()))
    return true;
  torch::NoGradGuard no_grad;
  return at::isfinite(t).all().item<bool>();
}

int64_t count_non_finite(const at::Tensor& t) {
  if (!t.defined() || t.numel() == 0 || !at::isFloatingType(t.scalar_type()))
    return 0;
  torch::NoGradGuard no_grad;
  return t.numel() - at::isfinite(t).sum().item<int64_t>();
}

} // namespace hetsgd
