#pragma once
/// \file
/// Where a worker's model replica computes: "cpu" or "cuda:N" (`hetsgd worker --device`).
/// Debian's LibTorch is CPU-only; a CUDA-enabled one (docs/gpu.md) makes "cuda:N" usable.

#include <optional>
#include <string>

namespace hetsgd {

struct compute_device {
  bool cuda = false;
  int index = 0;  ///< the CUDA device index (0 for "cuda")
};

/// Parses "cpu", "cuda" or "cuda:N" (N a small non-negative integer); nullopt with `why` set
/// for anything else.
std::optional<compute_device> parse_compute_device(const std::string& text, std::string& why);

/// Empty when `text` names a device this LibTorch can compute on now; otherwise why not, e.g.
/// "cuda:0: no CUDA device (this LibTorch has no CUDA support; docs/gpu.md)".
std::string compute_device_unusable(const std::string& text);

}  // namespace hetsgd
