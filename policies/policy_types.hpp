#pragma once
/// Vocabulary shared by every round policy and batch policy. Pure metadata: worker ids, sample
/// counts, versions and clock times in seconds. No tensors, no actors.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hetsgd {

using worker_id = std::uint32_t;
/// Number of updates applied to the global model so far.
using version_t = std::uint64_t;
/// Aggregator-assigned id of one contribution (unique within a run).
using contribution_id = std::uint64_t;

/// What a contribution carries, so the aggregator knows how to combine it.
enum class payload_kind {
  gradient_sum,  ///< Σ per-sample gradients of n samples, taken at the contribution's version
  model_delta,   ///< w_after_local_steps − w_start
  model,         ///< the worker's full model after local steps
};

/// How bulk tensors should travel between processes (in one process both are zero-copy).
enum class transfer_kind {
  all_reduce,      ///< everybody joins every round: a collective all-reduce fits
  point_to_point,  ///< rounds close on a subset: send to the aggregator
};

/// What a worker does between contributions; the worker actor implements each mode.
enum class worker_mode {
  push_and_wait,  ///< compute one batch at the released version, push it, wait for a release
  local_steps,    ///< take local optimizer steps, upload a model or delta, wait for a release
  continuous,     ///< keep computing; hand over the accumulator when the aggregator asks
  delayed_local,  ///< push, then continue from the one-step-old global model plus a local step
};

/// What a policy needs from the runtime. Declared once, read by the actors to pick transfers.
struct policy_traits {
  std::string name;
  payload_kind payload = payload_kind::gradient_sum;
  transfer_kind transfer = transfer_kind::all_reduce;
  worker_mode mode = worker_mode::push_and_wait;
  std::uint64_t local_steps = 0;  ///< local optimizer steps per job in local_steps mode
  /// delayed_local mode: rounds of plain push-and-wait before the delayed local updates start.
  std::uint64_t warmup_rounds = 0;
  /// delayed_local mode: η_l, the learning rate of the worker's local compensating step, on the
  /// mean gradient of its batch (< 0: the global learning rate).
  double local_lr = -1.0;
  /// delayed_local mode: λ of the delay-compensated local step (0 = plain step).
  double dc_lambda = 0.0;
};

/// policy_traits::local_steps of a policy whose workers take local steps until the aggregator
/// asks them to upload (round_decision::request_upload).
constexpr std::uint64_t until_upload_requested = ~std::uint64_t{0};

/// Metadata of one contribution that reached the aggregator. The tensor stays with the actor.
struct contribution_meta {
  contribution_id id = 0;
  worker_id worker = 0;
  version_t version = 0;          ///< global version the work was computed on
  std::uint64_t samples = 0;      ///< samples whose gradients are in it
  std::uint64_t local_steps = 0;  ///< local optimizer steps taken (0 for gradient pushes)
  double compute_s = 0.0;         ///< pure compute time spent on it, seconds
  double arrived_at_s = 0.0;      ///< clock time of arrival, seconds
  std::uint64_t membership_epoch = 0;
};

/// The set of workers that currently take part, and a counter bumped on every change.
struct membership_view {
  std::vector<worker_id> live;  ///< sorted ascending
  std::uint64_t epoch = 0;

  bool contains(worker_id w) const;
  std::size_t size() const { return live.size(); }
  /// Live workers that are not in `known` (sorted): who joined or rejoined since `known`.
  std::vector<worker_id> joined_since(const std::vector<worker_id>& known) const;
};

/// Everything a policy may read about the runtime when it decides. Time comes from the run's
/// clock (real or simulated), never from std::chrono.
struct policy_context {
  double now_s = 0.0;     ///< clock time, seconds since the run started
  version_t version = 0;  ///< current global version
  const membership_view* members = nullptr;
};

enum class close_reason {
  all_arrived,    ///< every live worker contributed on the current version
  k_arrived,      ///< the first K contributions arrived
  immediate,      ///< asynchronous: each arrival is a round
  timeout,        ///< the round deadline passed
  period,         ///< a fixed period elapsed
  sample_target,  ///< the cluster-wide sample count reached its target
  membership,     ///< a membership change completed the round
};

enum class drop_reason {
  stale,       ///< computed on too old a version
  crashed,     ///< its worker died before the round used it
  non_finite,  ///< NaN or Inf in the payload
  late,        ///< arrived after its round closed
  restarted,   ///< its worker was told to restart
  invalid,     ///< malformed (wrong size, dtype or version), from another process: never used
  collective,  ///< the all-reduce that was to sum it failed (a participant died or was late)
};

/// How the aggregator turns the applied contributions into one update.
enum class combine_rule {
  sample_weighted_mean,  ///< gradient: g = Σ a_k g_k / Σ a_k n_k, then an optimizer step
  delta_sum,             ///< model delta: x ← x + Σ a_k Δ_k
  model_average,         ///< model: x ← Σ a_k w_k with Σ a_k = 1
};

struct weighted_contribution {
  contribution_id id = 0;
  double weight = 1.0;
};

struct dropped_contribution {
  contribution_id id = 0;
  drop_reason reason = drop_reason::stale;
};

/// A policy's answer to one event. Every pending contribution ends up in exactly one `apply` or
/// `drop` list of some decision, or is reported as in flight when the run ends.
struct round_decision {
  bool close = false;  ///< apply `apply` as one update and bump the version
  close_reason reason = close_reason::all_arrived;
  combine_rule combine = combine_rule::sample_weighted_mean;
  std::vector<weighted_contribution> apply;
  std::vector<dropped_contribution> drop;
  std::vector<worker_id> release;         ///< send these the latest model and their next job
  std::vector<worker_id> restart;         ///< abort their current job; restart from latest model
  std::vector<worker_id> request_upload;  ///< ask these to hand over what they have now
  double wake_at_s = -1.0;                ///< call on_timer at this clock time (< 0: no timer)
  /// sample_weighted_mean: multiplies the learning rate of this update (ABS-SGD's linear
  /// scaling by the round's samples over a reference batch).
  double lr_scale = 1.0;
  /// Policy state worth logging with the round (e.g. ABS's K and τ_max): name, value.
  std::vector<std::pair<std::string, double>> annotations;

  bool has_timer() const { return wake_at_s >= 0.0; }
};

/// Removes the pending contributions of workers that are no longer members and returns them as
/// drops (reason `crashed`): what every synchronous policy does on a departure.
std::vector<dropped_contribution> drop_departed(std::map<worker_id, contribution_meta>& pending,
                                                const membership_view& members);

/// Adds workers that joined (or rejoined) to `d.release` and takes them out of `d.restart`: a
/// joiner waits on its join request and has no job to discard, so it is released, never
/// restarted. What every policy does with the joiners of a membership change.
void release_joiners(round_decision& d, const std::vector<worker_id>& joined);

/// Removes from `workers` those that are no longer members (a policy's "asked" set: a departed
/// worker is not waited for, and if it rejoins, its new incarnation was never asked).
void keep_members(std::vector<worker_id>& workers, const membership_view& members);

const char* to_string(close_reason r);
const char* to_string(drop_reason r);
const char* to_string(payload_kind k);
const char* to_string(transfer_kind k);
const char* to_string(worker_mode m);

}  // namespace hetsgd
