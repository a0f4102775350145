#include "gpu/image_dataset.hpp"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace hetsgd {

int64_t image_dataset::size() const {
  return labels.defined() ? labels.size(0) : 0;
}

image_dataset image_dataset::slice(int64_t begin, int64_t end) const {
  if (begin < 0 || begin > end || end > size())
    throw std::out_of_range("image_dataset::slice: [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ") is not within [0, " + std::to_string(size()) +
                            ")");
  return image_dataset{images.narrow(0, begin, end - begin), labels.narrow(0, begin, end - begin)};
}

namespace {

std::string check_split(const image_dataset& d, const char* split) {
  const std::string at = std::string(split) + ": ";
  if (!d.images.defined() || !d.labels.defined())
    return at + "images or labels are missing";
  if (d.images.scalar_type() != at::kFloat || !d.images.device().is_cpu())
    return at + "images must be float32 on the CPU";
  if (d.images.dim() < 2)
    return at + "images must be [N, ...] with at least 2 dimensions, not " +
           std::to_string(d.images.dim());
  if (d.labels.scalar_type() != at::kLong || !d.labels.device().is_cpu() || d.labels.dim() != 1)
    return at + "labels must be a 1-D int64 tensor on the CPU";
  if (d.labels.size(0) != d.images.size(0))
    return at + std::to_string(d.images.size(0)) + " images but " +
           std::to_string(d.labels.size(0)) + " labels";
  if (d.size() == 0)
    return at + "no samples";
  if (d.labels.min().item<int64_t>() < 0)
    return at + "a label is negative";
  return "";
}

}  // namespace

std::string check_labeled_data(const labeled_data& d) {
  if (auto why = check_split(d.train, "train"); !why.empty())
    return why;
  if (auto why = check_split(d.test, "test"); !why.empty())
    return why;
  if (d.train.images.sizes().slice(1) != d.test.images.sizes().slice(1))
    return "train and test images differ in shape past the first dimension";
  return "";
}

}  // namespace hetsgd
