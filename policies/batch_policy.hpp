#pragma once
/// The batch policy interface: decides each worker's batch size (samples per job) and its share
/// of the training data, from throughput reports. Pure logic; the batch controller actor runs it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/policy_state.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

struct batch_assignment {
  std::int64_t batch = 0;  ///< samples per job for this worker
  double share = 0.0;      ///< fraction of the training set in this worker's shard, in (0, 1]
};

/// Pure compute measured on one worker since the last report (time blocked in synchronization
/// excluded), so a policy can re-partition from speed alone.
struct throughput_report {
  worker_id worker = 0;
  std::uint64_t samples = 0;
  double compute_s = 0.0;
};

class batch_policy {
 public:
  virtual ~batch_policy() = default;
  virtual std::string name() const = 0;
  /// Assignments for workers 0..workers-1 at the start of the run.
  virtual std::vector<batch_assignment> initial(std::size_t workers) = 0;
  /// Throughput of one worker; returns new assignments for every worker when they change.
  virtual std::optional<std::vector<batch_assignment>> on_report(const throughput_report& r) = 0;
  /// Rounds (jobs per worker) each plan is for, after which the runtime asks for the next plan
  /// before any worker starts another job (DBS: the iterations of one epoch). 0: a plan holds
  /// until the policy returns another from on_report, which the runtime applies when it comes.
  virtual std::int64_t plan_rounds() const { return 0; }

  /// State that spans plans, for a checkpoint (policy_state.hpp). Default: none.
  virtual policy_state save_state() const { return {}; }

  /// Restores what save_state returned, before initial() of a resumed run: initial() then
  /// returns the restored plan instead of the starting one. Throws std::invalid_argument naming
  /// the key when the state is incomplete or does not fit the policy.
  virtual void restore_state(const policy_state& s) {}
};

/// A plan as policy state ("plan.workers", "plan.batch.<i>", "plan.completed": plans that ran
/// out before it), in the form batch policies save and restore: the runtime, which knows the
/// plan in force, writes the same keys into a checkpoint.
policy_state plan_state(const std::vector<std::int64_t>& batches, std::int64_t completed);

/// Every worker gets the same batch and an equal data share, forever.
class fixed_batch_policy final : public batch_policy {
 public:
  explicit fixed_batch_policy(std::int64_t batch);
  std::string name() const override { return "fixed"; }
  std::vector<batch_assignment> initial(std::size_t workers) override;
  std::optional<std::vector<batch_assignment>> on_report(const throughput_report&) override {
    return std::nullopt;
  }

 private:
  std::int64_t batch_;
};

}  // namespace hetsgd
