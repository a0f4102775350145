#include "bench/plain_loop.hpp"

#include "gpu/models.hpp"

#include <torch/torch.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace hetsgd {
namespace bench {

double plain_libtorch_loop_samples_per_s(const std::string& model_name, const image_dataset& data,
                                         int64_t batch, double seconds, uint64_t seed) {
  if (batch < 1 || !(seconds >= 0) || data.size() == 0)
    throw std::invalid_argument(
      "plain_libtorch_loop_samples_per_s: need batch >= 1, seconds >= 0 and a non-empty data "
      "set; got batch " +
      std::to_string(batch) + ", seconds " + std::to_string(seconds) + ", " +
      std::to_string(data.size()) + " samples");
  torch::set_num_threads(1);
  torch::manual_seed(seed);
  auto model = make_model(model_name, seed);
  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));

  const int64_t n = data.size();
  torch::Tensor order = torch::randperm(n, torch::kLong);
  int64_t cursor = 0;
  auto train_batch = [&] {
    if (cursor + batch > n) {  // new epoch: reshuffle, drop the incomplete tail
      order = torch::randperm(n, torch::kLong);
      cursor = 0;
    }
    const auto idx = order.narrow(0, cursor, std::min(batch, n));
    cursor += batch;
    const auto x = data.images.index_select(0, idx);
    const auto y = data.labels.index_select(0, idx);
    optimizer.zero_grad();
    const auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    optimizer.step();
    return idx.size(0);
  };

  for (int warmup = 0; warmup < 2; ++warmup)
    train_batch();
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int64_t samples = 0;
  double elapsed = 0;
  do {
    samples += train_batch();
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(samples) / elapsed;
}

}  // namespace bench
}  // namespace hetsgd
