#include "gpu/gradient_step.hpp"

#include "gpu/models.hpp"

#include <ATen/ATen.h>
#include <ATen/core/Reduction.h>
#include <torch/utils.h>

#include <stdexcept>

namespace hetsgd {

micro_batch_result accumulate_gradients(classifier& model, const image_dataset& data,
                                        const at::Tensor& indices) {
  if (!indices.defined() || indices.dim() != 1 || indices.scalar_type() != at::kLong)
    throw std::invalid_argument("accumulate_gradients: indices must be a 1-D int64 tensor");
  micro_batch_result result;
  result.samples = indices.numel();
  if (result.samples == 0)
    return result;
  // The data set stays in host memory; a batch goes to wherever the model is (a no-op on the
  // CPU).
  const auto device = model.parameters().front().device();
  const auto x = data.images.index_select(0, indices).to(device);
  const auto y = data.labels.index_select(0, indices).to(device);
  const auto logits = model.forward(x);
  const auto loss = at::cross_entropy_loss(logits, y, /*weight=*/{}, at::Reduction::Sum);
  loss.backward();
  {
    torch::NoGradGuard no_grad;
    result.loss_sum = loss.item<double>();
    result.correct = logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  return result;
}

void apply_local_sgd_step(torch::nn::Module& model, double scale) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.grad().defined())
      p.add_(p.grad(), -scale);
}

}  // namespace hetsgd
