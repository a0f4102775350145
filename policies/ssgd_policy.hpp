#pragma once
/// Bulk synchronous SGD: every live worker computes one batch on the same version; the round
/// closes when all of them arrived and applies the sample-weighted mean Σg/Σn. The slowest
/// worker paces everyone. An optional round deadline closes the round with whoever arrived, so
/// a paused or lost worker is never waited on forever; its contribution then arrives late and is
/// dropped (counted) before the worker is released onto the new version.

#include <map>
#include <string>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd {

struct ssgd_options {
  double round_timeout_s = 0.0;  ///< seconds after a round opens before it closes anyway (0 = off)
  std::string name = "ssgd";     ///< name in logs: "dbs" runs these rounds under DBS batches
};

class ssgd_policy final : public round_policy {
 public:
  explicit ssgd_policy(ssgd_options opts);

  const policy_traits& traits() const override { return traits_; }
  round_decision on_start(const policy_context& ctx) override;
  round_decision on_arrival(const contribution_meta& c, const policy_context& ctx) override;
  round_decision on_timer(const policy_context& ctx) override;
  round_decision on_membership_change(const policy_context& ctx) override;

 private:
  /// Close if every live worker has a contribution on the current version.
  round_decision try_close(const policy_context& ctx, close_reason reason, bool force);
  void open_round(const policy_context& ctx, round_decision& d);

  ssgd_options opts_;
  policy_traits traits_;
  /// Contributions on the current version, by worker (one each).
  std::map<worker_id, contribution_meta> pending_;
  /// Live workers as of the last on_start / on_membership_change (sorted), to tell who joined.
  std::vector<worker_id> known_;
  double round_opened_at_s_ = 0.0;
};

}  // namespace hetsgd
