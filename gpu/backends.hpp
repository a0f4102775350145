#pragma once
/// \file
/// Which compute and communication back ends this build has, and what the machine offers.

#include <string>

namespace hetsgd {

struct backend_info {
  bool gloo = false;          ///< compiled with Gloo (found at configure time): CPU collectives
  bool cuda = false;          ///< compiled with the CUDA kernels (toolkit found at configure time)
  bool nccl = false;          ///< compiled with NCCL
  std::string torch_version;  ///< LibTorch headers' version, e.g. "1.13.0"
  int cuda_devices = 0;       ///< usable CUDA devices now (0 when not compiled in or on error)
  std::string cuda_error;     ///< why there are no devices: the CUDA runtime's error text, or
                              ///< "CUDA support not compiled in"; empty when devices were found
  /// Whether each collective can be used now, and why not: a one-rank group is built and
  /// reduces one element (gloo opens a TCP device on 127.0.0.1; nccl needs a CUDA device).
  bool gloo_usable = false;
  std::string gloo_error;
  bool nccl_usable = false;
  std::string nccl_error;
  /// CUDA devices LibTorch itself can compute on (`hetsgd worker --device cuda:N`); 0 with
  /// Debian's CPU-only LibTorch even where the CUDA runtime finds GPUs.
  int torch_cuda_devices = 0;
};

/// Reports the compiled-in back ends, probes the collectives and queries the CUDA runtime for
/// devices. Never throws for
/// a missing GPU or driver: the reason goes to cuda_error. Cheap enough for `hetsgd info`.
backend_info query_backends();

}  // namespace hetsgd
