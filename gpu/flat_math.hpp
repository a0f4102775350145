#pragma once
/// \file
/// The aggregator's tensor math on flat float32 vectors, as single fused passes into buffers the
/// caller keeps. Measured here (2 cores, Debian LibTorch 1.13): an elementwise LibTorch op on a
/// freshly allocated 20k–235k-float tensor costs 1–2 ns per element in the aggregator (allocation,
/// first touch, dispatch), several passes per round; these loops run at memory speed and allocate
/// nothing. Other dtypes, devices or layouts fall back to the LibTorch ops.

#include <ATen/core/Tensor.h>

namespace hetsgd {

/// dst = alpha * src. Reuses dst's storage when it has src's shape and dtype and nobody else
/// holds it; otherwise (re)allocates dst.
void assign_scaled(at::Tensor& dst, const at::Tensor& src, double alpha);

/// dst += alpha * src, in place. Throws std::invalid_argument if the element counts differ.
void add_scaled(at::Tensor& dst, const at::Tensor& src, double alpha);

}  // namespace hetsgd
