#include "gpu/evaluation.hpp"

#include "gpu/models.hpp"

#include <ATen/ATen.h>
#include <ATen/core/Reduction.h>
#include <torch/utils.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hetsgd {

eval_result evaluate(classifier& model, const image_dataset& data, int64_t limit, int64_t batch) {
  if (limit < 0 || batch < 1)
    throw std::invalid_argument("evaluate: need limit >= 0 and batch >= 1, got limit " +
                                std::to_string(limit) + ", batch " + std::to_string(batch));
  const int64_t n = limit == 0 ? data.size() : std::min(limit, data.size());
  eval_result result;
  if (n == 0)
    return result;
  struct restore_mode {  // also on exceptions
    classifier& m;
    bool training;
    ~restore_mode() { m.train(training); }
  } restore{model, model.is_training()};
  model.eval();
  torch::NoGradGuard no_grad;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t len = std::min(batch, n - begin);
    const auto x = data.images.narrow(0, begin, len);
    const auto y = data.labels.narrow(0, begin, len);
    const auto logits = model.forward(x);
    loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  result.samples = n;
  result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  result.loss = loss_sum / static_cast<double>(n);
  return result;
}

}  // namespace hetsgd
