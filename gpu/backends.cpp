#include "gpu/backends.hpp"

#include <torch/version.h>

#if defined(HETSGD_HAVE_CUDA)
#include "gpu/cuda/device.hpp"
#endif

namespace hetsgd {

backend_info query_backends() {
  backend_info info;
#if defined(HETSGD_HAVE_GLOO)
  info.gloo = true;
#endif
#if defined(HETSGD_HAVE_NCCL)
  info.nccl = true;
#endif
  info.torch_version = TORCH_VERSION;
#if defined(HETSGD_HAVE_CUDA)
  info.cuda = true;
  const auto devices = cuda::device_count();
  info.cuda_devices = devices.count;
  info.cuda_error = devices.error;
  if (devices.count == 0 && info.cuda_error.empty())
    info.cuda_error = "no CUDA device found";
#else
  info.cuda_error = "CUDA support not compiled in";
#endif
  return info;
}

} // namespace hetsgd
