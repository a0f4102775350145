#pragma once
/// Asynchronous SGD (parameter server): each arrival is applied at once as its own round and its
/// worker is released onto the new version. Staleness is unbounded unless max_staleness > 0, in
/// which case staler contributions are dropped (counted) and their worker is released anyway.

#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

struct asgd_options {
  std::uint64_t max_staleness = 0;  ///< versions; 0 = unbounded
};

class asgd_policy final : public round_policy {
 public:
  explicit asgd_policy(asgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override { return {}; }
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  asgd_options opts_;
  policy_traits traits_;
  /// Live workers as of the last on_start / on_membership_change (sorted), to tell who joined.
  std::vector<worker_id> known_;
};

}  // namespace hetsgd
