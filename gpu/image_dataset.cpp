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
                            std::to_string(end) + ") is not within [0, " +
                            std::to_string(size()) + ")");
  return image_dataset{images.narrow(0, begin, end - begin), labels.narrow(0, begin, end - begin)};
}

} // namespace hetsgd
