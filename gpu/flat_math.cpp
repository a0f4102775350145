#include "gpu/flat_math.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>

namespace hetsgd {

namespace {

bool fast_path(const at::Tensor& t) {
  return t.defined() && t.scalar_type() == at::kFloat && t.is_contiguous() && t.device().is_cpu();
}

}  // namespace

void assign_scaled(at::Tensor& dst, const at::Tensor& src, double alpha) {
  if (!dst.defined() || !dst.sizes().equals(src.sizes()) ||
      dst.scalar_type() != src.scalar_type() || !dst.is_contiguous() || dst.use_count() > 1)
    dst = at::empty_like(src, at::MemoryFormat::Contiguous);
  if (fast_path(src) && fast_path(dst)) {
    const float a = static_cast<float>(alpha);
    const float* __restrict s = src.data_ptr<float>();
    float* __restrict d = dst.data_ptr<float>();
    const auto n = src.numel();
    for (int64_t i = 0; i < n; ++i)
      d[i] = a * s[i];
    return;
  }
  torch::NoGradGuard no_grad;
  dst.copy_(src * alpha);
}

void add_scaled(at::Tensor& dst, const at::Tensor& src, double alpha) {
  if (!dst.defined() || !src.defined() || dst.numel() != src.numel())
    throw std::invalid_argument("add_scaled: element counts differ (" +
                                std::to_string(dst.defined() ? dst.numel() : -1) + " and " +
                                std::to_string(src.defined() ? src.numel() : -1) + ")");
  if (fast_path(src) && fast_path(dst) && dst.data_ptr<float>() != src.data_ptr<float>()) {
    const float a = static_cast<float>(alpha);
    const float* __restrict s = src.data_ptr<float>();
    float* __restrict d = dst.data_ptr<float>();
    const auto n = src.numel();
    for (int64_t i = 0; i < n; ++i)
      d[i] += a * s[i];
    return;
  }
  torch::NoGradGuard no_grad;
  dst.add_(src.reshape_as(dst), alpha);
}

}  // namespace hetsgd
