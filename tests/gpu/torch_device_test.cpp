// Tests of `hetsgd worker --device` parsing and of the refusal of a device LibTorch cannot use.
#include "gpu/torch_device.hpp"

#include <torch/cuda.h>

#include <catch2/catch.hpp>

using namespace hetsgd;

CATCH_TEST_CASE("compute devices are cpu, cuda or cuda:N", "[device]") {
  std::string why;
  auto cpu = parse_compute_device("cpu", why);
  CATCH_REQUIRE(cpu);
  CATCH_CHECK_FALSE(cpu->cuda);
  auto cuda = parse_compute_device("cuda", why);
  CATCH_REQUIRE(cuda);
  CATCH_CHECK(cuda->cuda);
  CATCH_CHECK(cuda->index == 0);
  auto third = parse_compute_device("cuda:3", why);
  CATCH_REQUIRE(third);
  CATCH_CHECK(third->index == 3);
  for (const char* bad : {"", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:1x", "cuda:1234", "cuda0"}) {
    CATCH_CAPTURE(bad);
    why.clear();
    CATCH_CHECK_FALSE(parse_compute_device(bad, why));
    CATCH_CHECK(why.find("is not cpu, cuda or cuda:N") != std::string::npos);
  }
}

CATCH_TEST_CASE("a device this LibTorch cannot compute on is refused with the reason", "[device]") {
  CATCH_CHECK(compute_device_unusable("cpu").empty());
  CATCH_CHECK(compute_device_unusable("tpu").find("is not cpu, cuda or cuda:N") !=
              std::string::npos);
  const auto devices = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
  if (devices == 0) {
    CATCH_CHECK(compute_device_unusable("cuda:0").find("cuda:0: no CUDA device") == 0);
  } else {
    CATCH_CHECK(compute_device_unusable("cuda:0").empty());
    const auto beyond = "cuda:" + std::to_string(devices);
    CATCH_CHECK(compute_device_unusable(beyond).find("no such CUDA device") != std::string::npos);
  }
}
