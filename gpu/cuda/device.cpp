#include "gpu/cuda/device.hpp"

#include <cuda_runtime_api.h>

namespace hetsgd {
namespace cuda {

device_count_result device_count() {
  device_count_result result;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    result.error = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    cudaGetLastError();  // clear the (non-sticky) error so that later calls start clean
    return result;
  }
  result.count = count;
  return result;
}

}  // namespace cuda
}  // namespace hetsgd
