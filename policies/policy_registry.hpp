#pragma once
/// Policies by name, so a run picks one from config and can swap it between runs without a
/// rebuild. Options arrive as plain structs; the actors map config sections onto them.

#include <memory>
#include <string>
#include <vector>

#include "policies/asgd_policy.hpp"
#include "policies/backup_policy.hpp"
#include "policies/batch_policy.hpp"
#include "policies/local_sgd_policy.hpp"
#include "policies/wp_sgd_policy.hpp"
#include "policies/ssgd_policy.hpp"
#include "policies/ssp_policy.hpp"

namespace hetsgd {

struct round_policy_options {
  ssgd_options ssgd;
  asgd_options asgd;
  ssp_options ssp;
  backup_options backup;
  local_sgd_options local_sgd;
  wp_sgd_options wp_sgd;
};

/// Names of the round policies implemented in this build.
std::vector<std::string> implemented_round_policies();

/// nullptr if `name` is not implemented (the caller reports it with the config key).
std::unique_ptr<round_policy> make_round_policy(const std::string& name,
                                                const round_policy_options& opts);

/// nullptr if `name` is unknown.
std::unique_ptr<batch_policy> make_batch_policy(const std::string& name, std::int64_t batch);

}  // namespace hetsgd
