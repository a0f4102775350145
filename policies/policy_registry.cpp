#include "policies/policy_registry.hpp"

namespace hetsgd {

std::vector<std::string> implemented_round_policies() {
  return {"ssgd", "asgd", "ssp", "backup", "local_sgd", "wp_sgd"};
}

std::unique_ptr<round_policy> make_round_policy(const std::string& name,
                                                const round_policy_options& opts) {
  if (name == "ssgd")
    return std::make_unique<ssgd_policy>(opts.ssgd);
  if (name == "asgd")
    return std::make_unique<asgd_policy>(opts.asgd);
  if (name == "ssp")
    return std::make_unique<ssp_policy>(opts.ssp);
  if (name == "backup")
    return std::make_unique<backup_policy>(opts.backup);
  if (name == "local_sgd")
    return std::make_unique<local_sgd_policy>(opts.local_sgd);
  if (name == "wp_sgd")
    return std::make_unique<wp_sgd_policy>(opts.wp_sgd);
  return nullptr;
}

std::unique_ptr<batch_policy> make_batch_policy(const std::string& name, std::int64_t batch) {
  if (name == "fixed")
    return std::make_unique<fixed_batch_policy>(batch);
  return nullptr;
}

}  // namespace hetsgd
