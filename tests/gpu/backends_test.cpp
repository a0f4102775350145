// Tests of backend discovery and of the CUDA kernels (skipped without a device).
#include "gpu/backends.hpp"

#if defined(HETSGD_HAVE_CUDA)
#include "gpu/cuda/device.hpp"
#include "gpu/cuda/device_buffer.hpp"
#include "gpu/cuda/tensor_kernels.hpp"
#endif

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace hetsgd;

CATCH_TEST_CASE("query_backends reports what was compiled in", "[backends]") {
  const auto info = query_backends();
  CATCH_CHECK(!info.torch_version.empty());
  CATCH_CHECK(info.torch_version.rfind("1.", 0) == 0);
#if defined(HETSGD_HAVE_CUDA)
  CATCH_CHECK(info.cuda);
#else
  CATCH_CHECK(!info.cuda);
#endif
#if defined(HETSGD_HAVE_NCCL)
  CATCH_CHECK(info.nccl);
#else
  CATCH_CHECK(!info.nccl);
#endif
#if defined(HETSGD_HAVE_GLOO)
  CATCH_CHECK(info.gloo);
#else
  CATCH_CHECK(!info.gloo);
#endif
  if (info.cuda_devices == 0)
    CATCH_CHECK(!info.cuda_error.empty());
  else
    CATCH_CHECK(info.cuda_error.empty());
  CATCH_CHECK(info.cuda_devices >= 0);
  // A usable collective has no error text, an unusable one says why.
  CATCH_CHECK(info.gloo_usable == info.gloo_error.empty());
  CATCH_CHECK(info.nccl_usable == info.nccl_error.empty());
#if defined(HETSGD_HAVE_GLOO)
  CATCH_CHECK(info.gloo_usable);  // loopback TCP is always there
#else
  CATCH_CHECK(!info.gloo_usable);
#endif
  if (info.cuda_devices == 0) {
    CATCH_CHECK(!info.nccl_usable);
    if (info.nccl)
      CATCH_CHECK(info.nccl_error.find("no CUDA device") != std::string::npos);
  }
}

#if defined(HETSGD_HAVE_CUDA)
CATCH_TEST_CASE("CUDA kernels count non-finite values and scale-accumulate", "[cuda]") {
  const auto devices = cuda::device_count();
  if (devices.count == 0) {
    // No device (or no driver): every entry point reports an error instead of crashing.
    CATCH_CHECK(!devices.error.empty());
    cuda::device_buffer buffer;
    CATCH_CHECK(!buffer.allocate(16).empty());
    CATCH_CHECK(buffer.size() == 0);
    int64_t count = -1;
    float dummy = 0;
    CATCH_CHECK(!cuda::count_non_finite(&dummy, 1, &count, nullptr).empty());
    CATCH_WARN("no CUDA device, GPU paths skipped: " << devices.error);
    return;
  }
  const int64_t n = 100003;  // not a multiple of the block size
  std::vector<float> a(n), b(n);
  for (int64_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i % 17);
    b[i] = static_cast<float>(i % 5) - 2.0f;
  }
  cuda::device_buffer da, db;
  CATCH_REQUIRE(da.allocate(n).empty());
  CATCH_REQUIRE(db.allocate(n).empty());
  CATCH_REQUIRE(da.upload(a.data(), n).empty());
  CATCH_REQUIRE(db.upload(b.data(), n).empty());
  CATCH_REQUIRE(cuda::scale_accumulate(da.data(), db.data(), 0.5f, n).empty());
  std::vector<float> out(n);
  CATCH_REQUIRE(da.download(out.data(), n).empty());
  for (int64_t i = 0; i < n; ++i)
    CATCH_REQUIRE(out[i] == a[i] + 0.5f * b[i]);
  int64_t count = -1;
  CATCH_REQUIRE(cuda::count_non_finite(da.data(), n, &count).empty());
  CATCH_CHECK(count == 0);
  a[7] = std::numeric_limits<float>::quiet_NaN();
  a[n - 1] = std::numeric_limits<float>::infinity();
  CATCH_REQUIRE(da.upload(a.data(), n).empty());
  CATCH_REQUIRE(cuda::count_non_finite(da.data(), n, &count).empty());
  CATCH_CHECK(count == 2);
  CATCH_CHECK(!da.upload(a.data(), n + 1).empty());  // out of range is an error, not a crash
}
#endif
