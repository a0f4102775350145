#include "gpu/solo_throughput.hpp"

#include "gpu/flat_parameters.hpp"
#include "gpu/gradient_step.hpp"
#include "gpu/models.hpp"
#include "gpu/shard_sampler.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace hetsgd {

double measure_solo_throughput(const std::string& model_name, const image_dataset& data,
                               int64_t micro_batch, double min_seconds, uint64_t seed) {
  if (micro_batch < 1 || !(min_seconds >= 0) || data.size() == 0)
    throw std::invalid_argument(
      "measure_solo_throughput: need micro_batch >= 1, min_seconds >= 0 and a non-empty data "
      "set; got micro_batch " +
      std::to_string(micro_batch) + ", min_seconds " + std::to_string(min_seconds) + ", " +
      std::to_string(data.size()) + " samples");
  auto model = make_model(model_name, seed);
  model->train();
  shard_sampler sampler(data.size(), 0, 1, seed);
  for (int warmup = 0; warmup < 2; ++warmup) {
    accumulate_gradients(*model, data, sampler.next(micro_batch));
    zero_gradients(*model);
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int64_t samples = 0;
  double elapsed = 0;
  do {
    samples += accumulate_gradients(*model, data, sampler.next(micro_batch)).samples;
    zero_gradients(*model);
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return static_cast<double>(samples) / elapsed;
}

}  // namespace hetsgd
