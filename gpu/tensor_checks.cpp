#include "gpu/tensor_checks.hpp"

#include <ATen/ATen.h>

#include <cstdint>
#include <cstring>
#include <torch/utils.h>

namespace hetsgd {

namespace {

/// A float is NaN or ±Inf exactly when all its exponent bits are set. Checking the bits is one
/// vectorizable pass; at::isfinite(t).all() allocates and makes several passes (about 1 ms for
/// the MLP's 235k parameters here, twice per round on the aggregator's critical path).
bool float_bits_all_finite(const float* data, int64_t n) {
  constexpr std::uint32_t exponent = 0x7f800000u;
  const auto* bits = reinterpret_cast<const unsigned char*>(data);
  std::uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::uint32_t b;
    std::memcpy(&b, bits + 4 * i, 4);
    bad |= static_cast<std::uint32_t>((b & exponent) == exponent);
  }
  return bad == 0;
}

}  // namespace

bool all_finite(const at::Tensor& t) {
  if (!t.defined() || t.numel() == 0 || !at::isFloatingType(t.scalar_type()))
    return true;
  if (t.scalar_type() == at::kFloat && t.is_contiguous() && t.device().is_cpu())
    return float_bits_all_finite(t.data_ptr<float>(), t.numel());
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
