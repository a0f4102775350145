#include "policies/policy_registry.hpp"

namespace hetsgd {

std::vector<std::string> implemented_round_policies() {
  return {"ssgd", "asgd",    "ssp",    "backup", "local_sgd",
          "abs",  "abs_sgd", "od_sgd", "wp_sgd", "dbs"};
}

std::unique_ptr<round_policy> make_round_policy(const std::string& name,
                                                const round_policy_options& opts) {
  if (name == "ssgd")
    return std::make_unique<ssgd_policy>(opts.ssgd);
  if (name == "dbs") {
    auto o = opts.ssgd;
    o.name = "dbs";
    return std::make_unique<ssgd_policy>(o);
  }
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
  if (name == "abs_sgd")
    return std::make_unique<abs_sgd_policy>(opts.abs_sgd);
  if (name == "od_sgd")
    return std::make_unique<od_sgd_policy>(opts.od_sgd);
  if (name == "abs")
    return std::make_unique<abs_policy>(opts.abs);
  return nullptr;
}

std::string batch_policy_for(const std::string& round_policy, const std::string& configured) {
  return round_policy == "dbs" ? "dbs" : configured;
}

std::unique_ptr<batch_policy> make_batch_policy(const std::string& name, std::int64_t batch,
                                                const dbs_options& dbs, std::size_t workers) {
  if (name == "fixed")
    return std::make_unique<fixed_batch_policy>(batch);
  if (name == "dbs")
    return std::make_unique<dbs_batch_policy>(dbs, workers);
  return nullptr;
}

}  // namespace hetsgd
