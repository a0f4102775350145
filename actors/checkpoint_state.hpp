#pragma once
/// What goes into a checkpoint besides the tensors, and how a resumed run reads it back: the
/// run's counters (summary.json continues from them), the fault schedule position, and the
/// resume point handed to the aggregator. The file format itself is checkpoint_store.hpp.

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/run_accounting.hpp"
#include "config/run_config.hpp"

namespace hetsgd {

/// Which [[faults]] entries (by index) had started and ended by a time on the run clock. A
/// lasting fault (slowdown, pause, nan) with duration 0 never ends; crash and rejoin end when
/// they start.
struct fault_position {
  std::vector<std::size_t> started;
  std::vector<std::size_t> ended;
};
fault_position fault_position_at(const std::vector<fault_spec>& faults, double at_s);

/// The schedule a run resumed at `resume_at_s` plays: entries that ended are left out; a lasting
/// fault in progress starts again at once on the new incarnation of its worker, for what is left
/// of its duration; entries that had not started keep their times.
std::vector<fault_spec> remaining_faults(const std::vector<fault_spec>& faults,
                                         const fault_position& pos, double resume_at_s);

/// The counters a resumed run continues from (samples by bucket, rounds, per-worker figures).
nlohmann::json account_to_json(const run_account& a);
/// Restores account_to_json's counters into `a` (whose workers are already sized and named).
/// Every incarnation the checkpoint knew counts as booked: what it computed is in the counters.
/// Throws checkpoint_error naming the key on a mismatch (another worker count).
void account_from_json(const nlohmann::json& j, run_account& a, const std::string& where);

/// The aggregator's checkpointing: when, where, and what it resumes from.
struct resume_point;
struct checkpoint_params {
  std::string run_dir;             ///< "" = no checkpoints
  double every_s = 0.0;            ///< run-clock seconds between checkpoints (0 = off)
  std::uint64_t every_rounds = 0;  ///< rounds between checkpoints (0 = off)
  std::string config_hash;         ///< FNV-1a 64 of config.toml, hex
  std::vector<fault_spec> faults;  ///< the whole schedule (its position is saved)
  std::uint64_t resumes = 0;       ///< times this run was resumed before (0 = original run)
  std::uint64_t worker_seed = 0;   ///< the seed the workers' samplers use in this leg
  std::shared_ptr<const resume_point> resume;  ///< non-null: continue from this checkpoint
  bool enabled() const { return !run_dir.empty() && (every_s > 0.0 || every_rounds > 0); }
};

/// A verified checkpoint, ready for the aggregator.
struct resume_point {
  nlohmann::json manifest;
  std::string manifest_path;
  at::Tensor weights;   ///< flat, float32
  at::Tensor momentum;  ///< undefined when the optimizer had none
  std::uint64_t sequence = 0;
  std::uint64_t resumes = 0;  ///< times the run had been resumed when this was written
  std::uint64_t version = 0;
  double elapsed_s = 0.0;       ///< run clock at the checkpoint
  std::vector<worker_id> live;  ///< members at the checkpoint (the others stay out until rejoin)
  fault_position faults;
};

/// Reads RUN_DIR's checkpoint and checks it against this run: config.toml's hash, the model's
/// parameter count, the worker count, the fault schedule. Throws checkpoint_error naming the
/// file and what is wrong.
std::shared_ptr<const resume_point> load_resume_point(const std::string& run_dir,
                                                      const std::string& config_hash,
                                                      std::int64_t parameters, std::int64_t workers,
                                                      std::size_t faults);

}  // namespace hetsgd
