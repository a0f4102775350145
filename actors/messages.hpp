#pragma once
/// Typed messages between hetsgd's actors. Each is registered under the same name on every node
/// (register_message_types), so the same protocol works in one process and across processes.
/// Times are run-clock seconds; sample counts are samples; versions count applied updates.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "actors/exact_double.hpp"
#include "actors/tensor_payload.hpp"
#include "policies/policy_types.hpp"

namespace hetsgd {

/// Aggregator → worker: the weights to start from and what to compute next.
struct job_msg {
  version_t version = 0;     ///< global version of `weights`
  tensor_payload weights;    ///< flat parameter vector, immutable snapshot
  std::int64_t batch = 0;    ///< samples to compute in this job
  double share_begin = 0.0;  ///< this worker's slice of the global permutation, [begin, end)
  double share_end = 1.0;
  std::uint64_t membership_epoch = 0;
  bool stop = false;       ///< no more work: wait for the stop request
  bool restart = false;    ///< discard the job in progress (reported as samples_discarded)
  double sent_at_s = 0.0;  ///< for release-latency accounting
  /// > 0: take this many local SGD steps of `batch` samples at `local_lr`, then upload the model
  /// (local_steps mode); 0: push the gradient sum of one batch.
  std::uint64_t local_steps = 0;
  /// local_steps mode: η of the local steps. delayed_local mode: η_l / N, the factor of the
  /// worker's mean gradient in its local compensating step.
  double local_lr = 0.0;
  std::uint8_t mode = 0;      ///< hetsgd::worker_mode of the policy, as an integer
  bool upload_delta = false;  ///< local_steps mode: upload w_after − w_start, not the model
  bool delayed = false;       ///< delayed_local mode: warm-up is over, overlap pushes
  double dc_lambda = 0.0;     ///< delayed_local mode: λ of the delay-compensated local step
  std::uint64_t answers = 0;  ///< seq of the push this replies to (0: not a reply)
  /// Replicated optimizer (an all-reduce transport, gradient rounds): every participant holds
  /// the round's sum already, so `weights` stays empty and the worker takes the aggregator's
  /// step itself, from version − 1: w ← SGD(w, apply_scale · Σ, lr apply_lr, train.momentum,
  /// train.weight_decay), bit for bit the aggregator's. False: `weights` is the model.
  bool apply_sum = false;
  double apply_scale = 0.0;  ///< 1 / Σ n_k (times the policy's lr scale)
  double apply_lr = 0.0;
  std::uint64_t apply_hash = 0;  ///< bit_hash of the aggregator's weights after the step
  /// With full weights to a worker that replicates the optimizer: the aggregator's momentum
  /// buffer (undefined before the first step or when momentum is 0).
  bool replica = false;
  tensor_payload momentum;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_msg& x) {
  return f(caf::meta::type_name("hetsgd::job_msg"), x.version, x.weights, x.batch,
           exact(x.share_begin), exact(x.share_end), x.membership_epoch, x.stop, x.restart,
           exact(x.sent_at_s), x.local_steps, exact(x.local_lr), x.mode, x.upload_delta, x.delayed,
           exact(x.dc_lambda), x.answers, x.apply_sum, exact(x.apply_scale), exact(x.apply_lr),
           x.apply_hash, x.replica, x.momentum);
}

/// Worker → aggregator: one finished job.
struct contribution_msg {
  worker_id worker = 0;
  version_t version = 0;  ///< version the work was computed on
  std::uint64_t samples = 0;
  std::uint64_t local_steps = 0;
  double compute_s = 0.0;  ///< pure compute, seconds (no emulated slowdown, no waiting)
  double loss_sum = 0.0;   ///< Σ per-sample training loss of these samples
  tensor_payload payload;  ///< gradient sum, model delta or model (policy traits say)
  double sent_at_s = 0.0;
  double busy_s = 0.0;    ///< compute plus emulated slowness: the step time
  std::uint64_t seq = 0;  ///< the incarnation's push number, 1, 2, ... (link recovery)
  /// The payload stays with the worker (undefined here) and is summed by the collective when
  /// the aggregator closes the round (cluster.transport = "gloo").
  bool in_collective = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, contribution_msg& x) {
  return f(caf::meta::type_name("hetsgd::contribution_msg"), x.worker, x.version, x.samples,
           x.local_steps, exact(x.compute_s), exact(x.loss_sum), x.payload, exact(x.sent_at_s),
           exact(x.busy_s), x.seq, x.in_collective);
}

/// Worker → aggregator when it stops: what it did over the whole run.
struct worker_stats_msg {
  worker_id worker = 0;
  std::uint64_t samples_computed = 0;   ///< every sample whose gradient it computed
  std::uint64_t samples_in_flight = 0;  ///< computed but never pushed (job cut by the stop)
  std::uint64_t samples_discarded = 0;  ///< computed, then thrown away by a restart (never pushed)
  std::uint64_t micro_batches = 0;
  double compute_s = 0.0;           ///< pure compute
  double stretch_s = 0.0;           ///< emulated slowness ((1/speed − 1) × compute)
  double idle_s = 0.0;              ///< waiting for the aggregator
  double release_latency_s = 0.0;   ///< Σ (job received − job sent)
  double release_cpu_wait_s = 0.0;  ///< part of it spent runnable, waiting for a core
  std::uint64_t jobs = 0;
  std::uint64_t samples_pushed = 0;  ///< in pushes handed to the link (each push once)
  std::uint64_t messages_lost = 0;   ///< its pushes and the replies to it the link dropped
  std::uint64_t retransmits = 0;     ///< pushes sent again after a probe found them missing
  /// Jobs started on the replica's own step before their release came (start_early_job).
  std::uint64_t early_jobs = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_stats_msg& x) {
  return f(caf::meta::type_name("hetsgd::worker_stats_msg"), x.worker, x.samples_computed,
           x.samples_in_flight, x.samples_discarded, x.micro_batches, exact(x.compute_s),
           exact(x.stretch_s), exact(x.idle_s), exact(x.release_latency_s),
           exact(x.release_cpu_wait_s), x.jobs, x.samples_pushed, x.messages_lost, x.retransmits,
           x.early_jobs);
}

/// What the aggregator knows of a push a worker probes for (its answer never came).
enum class probe_status : std::uint8_t {
  missing = 0,   ///< never arrived: lost on the way, send it again
  pending = 1,   ///< arrived and not answered yet: keep waiting
  answered = 2,  ///< answered, and the answer was lost: here it is again (`job`)
};

/// Aggregator → worker: the answer to a probe for push `seq`.
struct probe_reply_msg {
  std::uint64_t seq = 0;
  std::uint8_t status = 0;  ///< probe_status
  job_msg job;              ///< the last answer sent (status answered)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, probe_reply_msg& x) {
  return f(caf::meta::type_name("hetsgd::probe_reply_msg"), x.seq, x.status, x.job);
}

/// Worker → aggregator: the worker failed; `what` is the exception text.
struct worker_failure_msg {
  worker_id worker = 0;
  std::string what;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_failure_msg& x) {
  return f(caf::meta::type_name("hetsgd::worker_failure_msg"), x.worker, x.what);
}

/// Aggregator → evaluator: a snapshot to evaluate on the test set.
struct eval_request_msg {
  version_t version = 0;
  double at_s = 0.0;  ///< clock time of the snapshot
  std::uint64_t samples_applied = 0;
  tensor_payload weights;
  std::int64_t limit = 0;  ///< test images to use (0 = all)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, eval_request_msg& x) {
  return f(caf::meta::type_name("hetsgd::eval_request_msg"), x.version, exact(x.at_s),
           x.samples_applied, x.weights, x.limit);
}

struct eval_result_msg {
  version_t version = 0;
  double at_s = 0.0;
  std::uint64_t samples_applied = 0;
  double accuracy = 0.0;
  double loss = 0.0;         ///< mean per-sample test loss
  std::int64_t samples = 0;  ///< test images used
  double eval_wall_s = 0.0;  ///< how long the evaluation took
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, eval_result_msg& x) {
  return f(caf::meta::type_name("hetsgd::eval_result_msg"), x.version, exact(x.at_s),
           x.samples_applied, exact(x.accuracy), exact(x.loss), x.samples, exact(x.eval_wall_s));
}

/// Aggregator → driver: one progress line's worth of numbers.
struct progress_msg {
  double elapsed_s = 0.0;
  std::uint64_t samples_applied = 0;
  std::uint64_t rounds = 0;
  double accuracy = -1.0;            ///< latest test accuracy (< 0: none yet)
  std::vector<double> worker_rates;  ///< samples/s pushed per worker since the last line
  std::int64_t straggler = -1;       ///< the current straggler (-1: none, or not reported)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress_msg& x) {
  return f(caf::meta::type_name("hetsgd::progress_msg"), exact(x.elapsed_s), x.samples_applied,
           x.rounds, exact(x.accuracy), exact(x.worker_rates), x.straggler);
}

/// Aggregator → whoever asked (status_atom): where a running run stands. The control messages a
/// program sends to run_options::on_started's handle are listed in docs/embedding.md.
struct run_status_msg {
  std::string policy;         ///< policy.name of this run
  bool started = false;       ///< every worker joined and the first jobs went out
  bool stopping = false;      ///< the run is ending (its files are being written)
  bool paused = false;        ///< held by (pause_atom) or run_options::start_paused
  double elapsed_s = 0.0;     ///< on the run clock
  double paused_s = 0.0;      ///< run-clock seconds spent paused so far
  std::uint64_t version = 0;  ///< model version (rounds applied, plus any resumed)
  std::uint64_t rounds = 0;
  std::uint64_t samples_applied = 0;
  std::uint64_t samples_dropped = 0;
  std::vector<std::uint32_t> live;  ///< live worker ids
  std::uint64_t membership_epoch = 0;
  double last_accuracy = -1.0;  ///< latest test accuracy (< 0: none yet)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_status_msg& x) {
  return f(caf::meta::type_name("hetsgd::run_status_msg"), x.policy, x.started, x.stopping,
           x.paused, exact(x.elapsed_s), exact(x.paused_s), x.version, x.rounds, x.samples_applied,
           x.samples_dropped, x.live, x.membership_epoch, exact(x.last_accuracy));
}

/// Aggregator → driver: the run is over.
struct run_outcome_msg {
  int exit_code = 0;         ///< 0 ok, 1 runtime failure
  std::string message;       ///< what failed, or how the run ended
  std::string summary_json;  ///< the summary.json text
  std::string wall_json;     ///< measured wall-clock figures (run_account::wall_json)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome_msg& x) {
  return f(caf::meta::type_name("hetsgd::run_outcome_msg"), x.exit_code, x.message, x.summary_json,
           x.wall_json);
}

/// Batch controller → aggregator: per-worker batch sizes and data shares.
struct batch_plan_msg {
  std::vector<std::int64_t> batches;
  std::vector<double> shares;
  /// Rounds this plan is for (DBS: the iterations of one epoch); after them the aggregator
  /// asks for the next plan before releasing anybody. 0 = until the controller sends another.
  std::int64_t rounds = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_plan_msg& x) {
  return f(caf::meta::type_name("hetsgd::batch_plan_msg"), x.batches, exact(x.shares), x.rounds);
}

/// Worker → batch controller, after each job: its samples and the time its (emulated) device
/// was busy on them — measured compute plus the emulated slowness, never time spent waiting for
/// the aggregator, so a wait in synchronization cannot change a batch plan.
struct throughput_msg {
  worker_id worker = 0;
  std::uint64_t samples = 0;
  double compute_s = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, throughput_msg& x) {
  return f(caf::meta::type_name("hetsgd::throughput_msg"), x.worker, x.samples, exact(x.compute_s));
}

/// Aggregator → the participants of a round it closed (cluster.transport = "gloo"): sum your
/// last payload with the others, now, in group `group` (rank 0 is the aggregator; a new group
/// number means the participants changed: connect afresh under the prefix "group-<n>/").
struct reduce_request_msg {
  std::uint64_t group = 0;
  std::int32_t rank = 0;
  std::int32_t size = 0;
  /// The policy's weight a_k of this worker's contribution: the worker multiplies its payload
  /// by it before the all-reduce, so the sum is Σ a_k payload_k (1 for a plain sum).
  double weight = 1.0;
  /// Replicated optimizer: the step the aggregator takes on this sum, from version
  /// `from_version` (the same as a release's apply_sum, apply_scale, apply_lr). A replica at
  /// that version takes it as soon as the sum is in and starts its next job on the result
  /// before the release confirms it (the release's apply_hash then checks the weights).
  bool step = false;
  std::uint64_t from_version = 0;
  double apply_scale = 0.0;
  double apply_lr = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reduce_request_msg& x) {
  return f(caf::meta::type_name("hetsgd::reduce_request_msg"), x.group, x.rank, x.size,
           exact(x.weight), x.step, x.from_version, exact(x.apply_scale), exact(x.apply_lr));
}

}  // namespace hetsgd
