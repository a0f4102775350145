#include "policies/batch_policy.hpp"

#include <stdexcept>

namespace hetsgd {

fixed_batch_policy::fixed_batch_policy(std::int64_t batch) : batch_(batch) {
  if (batch < 1)
    throw std::invalid_argument("fixed_batch_policy: batch must be >= 1");
}

std::vector<batch_assignment> fixed_batch_policy::initial(std::size_t workers) {
  std::vector<batch_assignment> out(workers);
  for (auto& a : out) {
    a.batch = batch_;
    a.share = workers == 0 ? 0.0 : 1.0 / static_cast<double>(workers);
  }
  return out;
}

policy_state plan_state(const std::vector<std::int64_t>& batches, std::int64_t completed) {
  policy_state s{{"plan.workers", double(batches.size())}, {"plan.completed", double(completed)}};
  for (std::size_t i = 0; i < batches.size(); ++i)
    s["plan.batch." + std::to_string(i)] = double(batches[i]);
  return s;
}

}  // namespace hetsgd
