#pragma once
/// \file
/// CUDA device discovery with a plain C++ interface (no CUDA types), compiled only when the CUDA
/// toolkit was found (HETSGD_HAVE_CUDA).

#include <string>

namespace hetsgd {
namespace cuda {

struct device_count_result {
  int count = 0;      ///< devices visible to the CUDA runtime (0 on error)
  std::string error;  ///< empty on success, else the runtime's error name and text
};

/// cudaGetDeviceCount, with its error as text (on a machine without a GPU or driver the
/// runtime answers e.g. "cudaErrorInsufficientDriver: CUDA driver version is insufficient for
/// CUDA runtime version"). Never throws.
device_count_result device_count();

}  // namespace cuda
}  // namespace hetsgd
