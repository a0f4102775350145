#pragma once
/// One training run in this process: loads the data, measures solo throughput, spawns the
/// recorder, evaluator, batch controller, aggregator and workers, waits for the run to end
/// (with deadlines), and returns how it went. The run directory gets config.toml, events.jsonl,
/// metrics.csv and summary.json.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <nlohmann/json_fwd.hpp>

#include "actors/messages.hpp"
#include "config/run_config.hpp"

namespace hetsgd {

struct labeled_data;

struct run_options {
  std::string out_dir;         ///< created if missing
  std::string effective_toml;  ///< written verbatim as config.toml
  /// Continue the run in out_dir from its checkpoint (`hetsgd run --resume`): effective_toml is
  /// then out_dir/config.toml's text, checked against the checkpoint, and not written again;
  /// events.jsonl and metrics.csv are appended to.
  bool resume = false;
  std::function<void(const progress_msg&)> on_progress;  ///< called on the driver's thread
  /// The run's events as they happen, one JSON object each, exactly as events.jsonl gets them
  /// ("type": "round", "evaluation", "membership", "straggler", ...; docs/results.md). Called on
  /// the recorder's thread, so it must be quick and thread-safe; one that throws gets no more.
  std::function<void(const nlohmann::json& event)> on_event;
  const std::atomic<bool>* stop_requested = nullptr;  ///< set by a Ctrl-C handler
  /// Each increment (SIGUSR1 in `hetsgd run`) pauses the run, the next resumes it, as
  /// (pause_atom) and (resume_atom) would; read by the driver every 100 ms (real clock).
  const std::atomic<unsigned>* pause_toggles = nullptr;
  double solo_calibration_s = 1.0;  ///< seconds spent measuring solo throughput
  /// > 0: the solo throughput at speed 1 (samples/s) to use instead of measuring it, e.g. when
  /// several runs on one machine share one measurement.
  double solo_samples_per_s = 0.0;
  /// > 0: the memory the run may use, bytes, instead of what the machine has available (a
  /// service that embeds hetsgd may give it a budget; tests use it).
  std::uint64_t memory_budget_bytes = 0;
  /// cluster.mode = "processes": called once the front door listens, with the port it bound
  /// (cluster.listen may ask for port 0 = any free one), on the calling thread.
  std::function<void(std::uint16_t port)> on_listening;
  /// Called on the calling thread once the run is over and its files are written, just before
  /// its actor system shuts down, with how it ended (a process can bound that shutdown).
  std::function<void(int exit_code, const std::string& message)> on_finished;
  /// Called on the calling thread once the run's actors are spawned, before it starts, with the
  /// actor that answers a program's control messages (real clock; docs/embedding.md):
  /// (status_atom) -> run_status_msg; (checkpoint_atom) -> the checkpoint file written;
  /// (pause_atom), (resume_atom) -> true, or an error saying why not now; (run_atom) -> true
  /// once, for a run begun with start_paused; (subscribe_atom) -> true, then every event as
  /// (event_atom, JSON text); (stop_atom) ends the run like a stop request; (policy_atom, name)
  /// -> an error (the policy is chosen per run). Send to it from another thread or from the
  /// program's own actors; the handle is void once run_training returns.
  std::function<void(const caf::actor& run)> on_started;
  /// Non-null: spawn the run's actors in this actor system, the program's own, instead of one
  /// built for the run (cluster.mode = "threads" and the real clock only). run_training still
  /// blocks until the run is over and every actor it spawned is gone. The system needs
  /// register_message_types only if it talks to other processes.
  caf::actor_system* system = nullptr;
  /// The run begins paused: workers join and take their first jobs but compute nothing until
  /// the program sends (run_atom) (or (resume_atom)). Real clock only.
  bool start_paused = false;
  /// Non-null: train and test on this data set instead of loading cfg.data.path (Fashion-MNIST).
  /// A program embedding hetsgd passes its own here, shaped for its model (check_labeled_data
  /// says what is required).
  std::shared_ptr<const labeled_data> data;
};

struct run_result {
  int exit_code = 0;         ///< 0 ok, 1 runtime failure, 2 config not runnable
  std::string message;       ///< how the run ended, or what failed
  std::string summary_json;  ///< empty if the run never started
  std::string out_dir;
};

run_result run_training(const run_config& cfg, const run_options& opts);

/// Why a valid config cannot run ("" = it can): a policy, clock, mode, transport or fault kind
/// that is not implemented in this build, or policy settings that contradict the cluster (a K
/// larger than the workers, a DBS batch smaller than them). The text names the config key.
std::string unsupported_in_this_build(const run_config& cfg);

}  // namespace hetsgd
