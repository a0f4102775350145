#pragma once
/// Policies by name, so a run picks one from config and can swap it between runs without a
/// rebuild. Options arrive as plain structs; the actors map config sections onto them.

#include <memory>
#include <string>
#include <vector>

#include "policies/abs_policy.hpp"
#include "policies/abs_sgd_policy.hpp"
#include "policies/asgd_policy.hpp"
#include "policies/backup_policy.hpp"
#include "policies/batch_policy.hpp"
#include "policies/dbs_batch_policy.hpp"
#include "policies/local_sgd_policy.hpp"
#include "policies/od_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"
#include "policies/ssp_policy.hpp"
#include "policies/wp_sgd_policy.hpp"

namespace hetsgd {

struct round_policy_options {
  ssgd_options ssgd;
  asgd_options asgd;
  ssp_options ssp;
  backup_options backup;
  local_sgd_options local_sgd;
  wp_sgd_options wp_sgd;
  abs_sgd_options abs_sgd;
  od_sgd_options od_sgd;
  abs_options abs;
};

/// Names of the round policies implemented in this build.
std::vector<std::string> implemented_round_policies();

/// nullptr if `name` is not implemented (the caller reports it with the config key). "dbs" is
/// synchronous SGD (ssgd's rounds) under the dbs batch policy, which the caller picks with
/// batch_policy_for.
std::unique_ptr<round_policy> make_round_policy(const std::string& name,
                                                const round_policy_options& opts);

/// The batch policy a run uses: "dbs" when the round policy is "dbs", else `configured`.
std::string batch_policy_for(const std::string& round_policy, const std::string& configured);

/// nullptr if `name` is unknown. `batch`: fixed policy's per-worker batch; `dbs`: its options,
/// for `workers` workers. Throws std::invalid_argument for invalid dbs options.
std::unique_ptr<batch_policy> make_batch_policy(const std::string& name, std::int64_t batch,
                                                const dbs_options& dbs = {},
                                                std::size_t workers = 1);

}  // namespace hetsgd
