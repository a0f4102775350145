#include "gpu/backends.hpp"

#include <torch/cuda.h>
#include <torch/version.h>

#include "gpu/collective.hpp"
#include "gpu/memory_kv_store.hpp"

#if defined(HETSGD_HAVE_CUDA)
#include "gpu/cuda/device.hpp"
#endif

namespace hetsgd {

namespace {

/// Builds a one-rank group of `backend` and reduces one element: the error text, or "".
std::string probe_collective(const std::string& backend) {
  try {
    memory_kv_store store;
    collective_setup setup;
    setup.backend = backend;
    setup.store = &store;
    setup.prefix = "probe/";
    setup.timeout = std::chrono::milliseconds(5000);
    auto c = make_collective(setup);
    float x = 1.0f;
    c->all_reduce(&x, 1, 1.0f, std::chrono::milliseconds(5000));
    return x == 1.0f ? std::string() : "a one-rank all-reduce changed its input";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

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
  info.gloo_error = probe_collective("gloo");
  info.gloo_usable = info.gloo_error.empty();
  // Without a device NCCL would only repeat the CUDA runtime's answer.
  info.nccl_error = info.nccl && info.cuda_devices == 0 ? "no CUDA device (" + info.cuda_error + ")"
                                                        : probe_collective("nccl");
  info.nccl_usable = info.nccl_error.empty();
  info.torch_cuda_devices =
    torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  return info;
}

}  // namespace hetsgd
