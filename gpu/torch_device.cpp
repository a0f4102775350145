#include "gpu/torch_device.hpp"

#include <torch/cuda.h>

#include <cctype>

namespace hetsgd {

std::optional<compute_device> parse_compute_device(const std::string& text, std::string& why) {
  if (text == "cpu")
    return compute_device{};
  if (text == "cuda")
    return compute_device{true, 0};
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() &&
      text.size() <= prefix.size() + 3) {
    int index = 0;
    for (std::size_t i = prefix.size(); i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
        index = -1;
        break;
      }
      index = index * 10 + (text[i] - '0');
    }
    if (index >= 0)
      return compute_device{true, index};
  }
  why = "device \"" + text + "\" is not cpu, cuda or cuda:N";
  return std::nullopt;
}

std::string compute_device_unusable(const std::string& text) {
  std::string why;
  const auto d = parse_compute_device(text, why);
  if (!d)
    return why;
  if (!d->cuda)
    return {};
  if (!torch::cuda::is_available())
    return text +
           ": no CUDA device (this LibTorch has no CUDA support or finds no GPU; "
           "docs/gpu.md says how to build against a CUDA-enabled one)";
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (d->index >= count)
    return text + ": no such CUDA device (" + std::to_string(count) + " found)";
  return {};
}

}  // namespace hetsgd
