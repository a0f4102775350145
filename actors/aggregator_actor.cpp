#include "actors/aggregator_actor.hpp"

#include <caf/all.hpp>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <iostream>
#include <limits>
#include <map>

#include "actors/atoms.hpp"
#include "actors/checkpoint_store.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/messages.hpp"
#include "actors/run_accounting.hpp"
#include "actors/straggler_report.hpp"
#include "actors/thread_cpu_wait.hpp"
#include "gpu/flat_math.hpp"
#include "gpu/flat_sgd.hpp"
#include "gpu/tensor_checks.hpp"
#include "gpu/torch_threads.hpp"
#include "policies/batch_policy.hpp"

namespace hetsgd {

namespace {

struct pending_entry {
  contribution_meta meta;
  at::Tensor payload;
  double loss_sum = 0.0;
  version_t version_at_arrival = 0;  ///< the server's version when it arrived
};

/// A push (or join) waiting for its answer; `seq` is the push's number (0: a join).
struct waiting_push {
  caf::typed_response_promise<job_msg> promise;
  std::uint64_t seq = 0;
};

/// A push that arrived before an earlier one of the same worker (that one was lost and is being
/// sent again); taken once the gap is filled.
struct held_push {
  contribution_msg msg;
  caf::typed_response_promise<job_msg> promise;
};

/// More samples than any push can honestly carry (a sanity bound on a peer's claim).
constexpr std::uint64_t max_samples_per_push = 1ULL << 32;

constexpr version_t no_replica = std::numeric_limits<version_t>::max();

/// The last optimizer step taken on an all-reduced sum: what a replica needs to take it too.
struct replicated_step {
  version_t version = 0;  ///< the version it made (0: none yet)
  double scale = 0.0;     ///< 1 / Σ n_k times the lr scale
  double lr = 0.0;
  std::uint64_t hash = 0;         ///< bit_hash of the weights it made
  std::vector<worker_id> summed;  ///< the participants of its all-reduce (sorted)
};

struct worker_slot {
  caf::actor handle;
  std::uint64_t non_finite_reported = 0;  ///< non-finite pushes told on stderr (rate-limited)
  bool joined = false;
  bool live = false;
  /// Pushes not yet answered, oldest first; a release answers the oldest. Only a delayed_local
  /// worker has two outstanding (its push of iteration t + 1 before round t closed).
  std::deque<waiting_push> waiting;
  std::int64_t batch = 0;
  double share_begin = 0.0;
  double share_end = 1.0;
  std::uint64_t pushed_since_progress = 0;
  std::shared_ptr<worker_counters> counters;  ///< of the incarnation that joined last
  /// A worker in another process: `counters` is a mirror the aggregator keeps from its
  /// heartbeats and pushes, and `last_heard_s` feeds the heartbeat watchdog.
  bool remote = false;
  double last_heard_s = 0.0;
  /// Its payloads stay with it for the round's all-reduce (a collective, and the worker is not
  /// hosted in this process); otherwise they come inside its pushes.
  bool collective = false;
  // The link to the incarnation that joined last (link faults): what a probe needs to tell a
  // lost push from a lost answer, and what came through.
  std::uint64_t last_seq_received = 0;  ///< highest push seq that arrived
  std::uint64_t answered_seq = 0;       ///< highest push seq answered
  job_msg last_answer;                  ///< the answer to answered_seq, sent again on a probe
  std::uint64_t samples_received = 0;   ///< samples in the pushes taken (in order)
  std::uint64_t discarded_logged = 0;   ///< restart-discarded samples already in a dropped event
  std::map<std::uint64_t, held_push> out_of_order;  ///< arrived after a gap, by seq
  /// Replicated optimizer: the version whose weights and momentum the worker's replica holds
  /// (no_replica: none, it gets them in full with its next job).
  version_t replica_version = no_replica;
  std::uint64_t resyncs = 0;  ///< times its replica could not step and asked for the weights
};

}  // namespace

struct aggregator_state {
  aggregator_params p;
  std::unique_ptr<flat_sgd> optimizer;
  at::Tensor weights;           ///< master weights, mutated in place by the optimizer
  at::Tensor snapshot;          ///< immutable clone of `weights` at `version` (undefined: stale)
  at::Tensor retired_snapshot;  ///< the previous snapshot, reused when no one holds it
  at::Tensor sum_buffer;        ///< scratch for combining a round's contributions
  /// cluster.transport = "gloo": this rank (0) of the round groups, the participants of the
  /// current group (sorted) and its number.
  std::unique_ptr<round_group_member> group;
  std::vector<worker_id> group_members;
  std::uint64_t group_serial = 0;
  /// Gradient rounds summed by an all-reduce: every participant holds the sum, so each keeps a
  /// replica of the optimizer and takes the step itself; the weights go down only to a worker
  /// whose replica is not at the previous version (a joiner, or one that missed a round).
  bool replicate = false;
  replicated_step last_step;
  version_t version = 0;
  membership_view members;
  std::vector<worker_slot> slots;
  std::map<contribution_id, pending_entry> pending;
  contribution_id next_id = 1;
  run_account acct;
  caf::actor driver;
  bool run_requested = false;
  bool started = false;
  bool stopping = false;
  /// Paused by the program ((pause_atom), or run_options::start_paused): every worker holds at
  /// its next micro-batch; pushes already made are still taken and answered.
  bool paused = false;
  double paused_at_s = 0.0;    ///< run clock when the current pause began
  bool start_pending = false;  ///< start_paused and not started by (run_atom) yet
  bool deadline_due = false;   ///< max_seconds came while paused: looked at on resume
  double resumed_at_s = 0.0;   ///< run clock at the last resume
  bool eval_busy = false;
  std::uint64_t timer_token = 0;
  double last_round_at_s = 0.0;
  double last_progress_at_s = 0.0;
  double end_at_s = 0.0;
  double last_accuracy = -1.0;
  int stats_outstanding = 0;
  bool plan_received = false;
  std::int64_t plan_rounds_left = 0;  ///< rounds the batch plan in force is still for (0: open)
  bool awaiting_plan = false;         ///< releases are held until the next batch plan is in
  std::vector<worker_id> held_restarts;
  std::vector<worker_id> held_releases;
  std::vector<worker_id> held_uploads;           ///< upload requests that must follow held releases
  std::unique_ptr<straggler_report> stragglers;  ///< null when the report is off
  std::uint64_t epoch = 0;                       ///< data epochs completed (samples applied)
  std::vector<caf::actor> epoch_listeners;
  std::uint64_t plans_completed = 0;  ///< batch plans that ran out (DBS: epochs)
  std::uint64_t ckpt_sequence = 0;    ///< checkpoints written by this run, all legs
  std::uint64_t ckpt_last_round = 0;  ///< acct.rounds at the last checkpoint
  double ckpt_last_at_s = 0.0;        ///< run clock at the last checkpoint

  static inline const char* name = "hetsgd.aggregator";
};

namespace {

using self_ptr = caf::stateful_actor<aggregator_state>*;

void finish(self_ptr self, int exit_code, const std::string& reason);
void request_plan(self_ptr self);

/// CPU time of the calling thread, seconds.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Measures the aggregator's handling cost (the actor layer's control overhead): thread CPU
/// time, which a preemption cannot inflate, and wall time, which it can (4 workers on 2 cores).
class busy_timer {
 public:
  explicit busy_timer(aggregator_state& st) : st_(st), simulated_(st.p.clock->simulated()) {
    pin_this_thread_once();
    if (simulated_) {  // one thread plays the whole cluster: there is no core to wait for
      wall0_ = std::chrono::steady_clock::now();
      cpu0_ = thread_cpu_s();
      return;
    }
    // Runqueue wait of this thread since it last left an aggregator handler: the thread slept
    // on its scheduler queue in between, so this is the time the message waited for a core
    // after it woke the thread (on 2 cores shared with 4 workers, often most of the latency).
    double rq = thread_runqueue_wait_s();
    core_wait_s_ = (rq >= 0.0 && last_runqueue_wait_s_ >= 0.0) ? rq - last_runqueue_wait_s_ : 0.0;
    // The measured window starts after the bookkeeping read above and ends before the one below.
    wall0_ = std::chrono::steady_clock::now();
    cpu0_ = thread_cpu_s();
  }
  ~busy_timer() {
    st_.acct.aggregator_busy_s += thread_cpu_s() - cpu0_;
    st_.acct.aggregator_wall_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0_).count();
    if (!simulated_)
      last_runqueue_wait_s_ = thread_runqueue_wait_s();
  }
  /// Seconds this handler's message waited for a core before the handler ran.
  double core_wait_s() const { return core_wait_s_; }

 private:
  aggregator_state& st_;
  bool simulated_;
  std::chrono::steady_clock::time_point wall0_;
  double cpu0_ = 0.0;
  double core_wait_s_ = 0.0;
  static thread_local double last_runqueue_wait_s_;
};

thread_local double busy_timer::last_runqueue_wait_s_ = -1.0;

double now(self_ptr self) {
  return self->state.p.clock->now_s();
}

void record(self_ptr self, nlohmann::json j) {
  j["t"] = now(self);
  self->send(self->state.p.recorder, event_atom::value, j.dump());
}

policy_context context(self_ptr self) {
  auto& st = self->state;
  return policy_context{now(self), st.version, &st.members};
}

const at::Tensor& current_snapshot(self_ptr self) {
  auto& st = self->state;
  if (!st.snapshot.defined()) {
    // Snapshots are immutable once shared. The previous one is recycled once nobody (workers,
    // evaluator) holds it any more; assign_scaled reuses its storage only in that case.
    st.snapshot = std::move(st.retired_snapshot);
    assign_scaled(st.snapshot, st.weights, 1.0);
  }
  return st.snapshot;
}

/// The model part of a job for worker `w`: with a replicated optimizer, the step to take when
/// its replica is one version behind and it took part in the sum; otherwise the weights in full
/// (and, to a replica, the momentum).
void put_weights(self_ptr self, worker_id w, job_msg& j, bool allow_step) {
  auto& st = self->state;
  auto& slot = st.slots[w];
  const auto& step = st.last_step;
  if (allow_step && st.replicate && step.version == st.version && st.version > 0 &&
      slot.replica_version == st.version - 1 &&
      std::binary_search(step.summed.begin(), step.summed.end(), w)) {
    j.apply_sum = true;
    j.apply_scale = step.scale;
    j.apply_lr = step.lr;
    j.apply_hash = step.hash;
    slot.replica_version = st.version;
    return;
  }
  j.weights.value = current_snapshot(self);
  st.acct.bytes_moved += static_cast<std::uint64_t>(j.weights.value.nbytes());
  if (st.replicate && slot.collective) {
    j.replica = true;
    const auto& m = st.optimizer->momentum_buffer();
    if (m.defined()) {
      j.momentum.value = m.clone();  // the aggregator keeps stepping its own in place
      st.acct.bytes_moved += static_cast<std::uint64_t>(m.nbytes());
    }
    slot.replica_version = st.version;
  }
}

job_msg make_job(self_ptr self, worker_id w, bool allow_step = true) {
  auto& st = self->state;
  job_msg j;
  j.version = st.version;
  put_weights(self, w, j, allow_step);
  j.batch = st.slots[w].batch;
  j.share_begin = st.slots[w].share_begin;
  j.share_end = st.slots[w].share_end;
  j.membership_epoch = st.members.epoch;
  j.sent_at_s = now(self);
  const auto& traits = st.p.policy->traits();
  j.mode = static_cast<std::uint8_t>(traits.mode);
  if (traits.mode == worker_mode::local_steps) {
    j.local_steps = traits.local_steps;
    j.local_lr = st.p.lr;
    j.upload_delta = traits.payload == payload_kind::model_delta;
  } else if (traits.mode == worker_mode::delayed_local) {
    j.delayed = st.version >= traits.warmup_rounds;
    const double lr_local = traits.local_lr < 0.0 ? st.p.lr : traits.local_lr;
    j.local_lr = lr_local / static_cast<double>(std::max<std::size_t>(1, st.members.size()));
    j.dc_lambda = traits.dc_lambda;
  }
  return j;
}

void release(self_ptr self, worker_id w, bool restart) {
  auto& st = self->state;
  if (w >= st.slots.size() || !st.slots[w].live)
    return;
  auto& slot = st.slots[w];
  auto j = make_job(self, w);
  j.restart = restart;
  if (restart)
    record(self, {{"type", "restart"}, {"worker", w}, {"version", st.version}});
  if (!slot.waiting.empty()) {
    auto w8 = std::move(slot.waiting.front());
    slot.waiting.pop_front();
    j.answers = w8.seq;
    if (w8.seq > 0) {
      slot.answered_seq = w8.seq;
      slot.last_answer = j;  // shares the snapshot: no copy of the weights
    }
    w8.promise.deliver(std::move(j));
  } else {
    // The worker is computing (restart) or was released without a pending push.
    self->send(slot.handle, std::move(j));
  }
}

/// Logs the samples worker `w`'s incarnation threw away on restarts since the last such event
/// (`discarded`: its count so far). They are booked as dropped (restarted) with its final report
/// or its crash; this makes each discard visible in events.jsonl soon after it happened.
void log_discarded(self_ptr self, worker_id w, std::uint64_t discarded) {
  auto& st = self->state;
  auto& slot = st.slots[w];
  if (discarded <= slot.discarded_logged)
    return;
  record(self, {{"type", "dropped"},
                {"worker", w},
                {"reason", to_string(drop_reason::restarted)},
                {"samples", discarded - slot.discarded_logged},
                {"discarded_by_restart", true},
                {"current_version", st.version}});
  slot.discarded_logged = discarded;
}

/// Counts a contribution's samples as dropped for `reason` and logs it: every drop goes here.
void count_dropped(self_ptr self, const contribution_meta& m, drop_reason reason) {
  auto& st = self->state;
  st.acct.workers[m.worker].dropped[static_cast<std::size_t>(reason)] += m.samples;
  record(self, {{"type", "dropped"},
                {"worker", m.worker},
                {"reason", to_string(reason)},
                {"samples", m.samples},
                {"version", m.version},
                {"current_version", st.version}});
}

void drop(self_ptr self, contribution_id id, drop_reason reason) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  if (it == st.pending.end()) {
    // A policy referring to an unknown contribution is a broken invariant.
    std::cerr << "hetsgd: policy " << st.p.policy_name << " dropped unknown contribution " << id
              << " (" << __FILE__ << ":" << __LINE__ << ")\n";
    std::abort();
  }
  count_dropped(self, it->second.meta, reason);
  st.pending.erase(it);
}

/// An epoch ends each time another training set's worth of samples has been applied.
void note_epochs(self_ptr self) {
  auto& st = self->state;
  if (st.p.samples_per_epoch == 0)
    return;
  while (st.acct.samples_applied >= (st.epoch + 1) * st.p.samples_per_epoch) {
    st.epoch += 1;
    record(self,
           {{"type", "epoch"}, {"epoch", st.epoch}, {"samples_applied", st.acct.samples_applied}});
    for (auto& l : st.epoch_listeners)
      self->send(l, epoch_atom::value, static_cast<std::uint64_t>(st.epoch));
  }
}

void check_stop(self_ptr self) {
  auto& st = self->state;
  if (st.p.max_samples > 0 && st.acct.samples_applied >= st.p.max_samples)
    finish(self, 0, "max_samples reached");
}

// --- checkpoints (checkpoint_state.hpp, checkpoint_store.hpp) -----------------------------------

/// Writes the state after the last applied round to RUN_DIR/checkpoint/. A failure is logged
/// and counted in the summary's errors; the run goes on and the previous checkpoint stays.
/// Writes a checkpoint now; returns its file, or "" when writing failed (then the error is in
/// the run's errors, an `error` event, and `*error` when given).
std::string save_checkpoint(self_ptr self, const char* why, std::string* error = nullptr) {
  auto& st = self->state;
  const auto& cp = st.p.checkpoint;
  const auto wall0 = std::chrono::steady_clock::now();
  const double t = now(self);
  st.ckpt_last_round = st.acct.rounds;
  st.ckpt_last_at_s = t;
  // The counters as of now. Live incarnations have not reported yet: their computed and
  // restart-discarded samples are read from the counters that outlive them, so the checkpoint
  // books every sample computed so far (a resume drops what was not applied, see restore).
  run_account a = st.acct;
  for (std::size_t w = 0; w < st.slots.size(); ++w) {
    const auto& c = st.slots[w].counters;
    if (!st.slots[w].live || !c)
      continue;
    a.workers[w].samples_computed += c->samples_computed;
    a.workers[w].dropped[static_cast<std::size_t>(drop_reason::restarted)] += c->samples_discarded;
  }
  std::vector<std::int64_t> batches;
  std::vector<double> shares;
  for (auto& slot : st.slots) {
    batches.push_back(slot.batch);
    shares.push_back(slot.share_end - slot.share_begin);
  }
  const auto pos = fault_position_at(cp.faults, t);
  const at::Tensor& momentum = st.optimizer->momentum_buffer();
  nlohmann::json m = {
    {"config_hash", cp.config_hash},
    {"policy", st.p.policy_name},
    {"model", st.p.model_name},
    {"workers", st.p.workers},
    {"reason", why},
    {"version", st.version},
    {"rounds", st.acct.rounds},
    {"elapsed_s", t},
    {"membership", {{"epoch", st.members.epoch}, {"live", st.members.live}}},
    {"policy_state", st.p.policy->save_state()},
    // While the next plan is awaited the slots still hold the old one: saved with its own count.
    {"batch_state", plan_state(batches, static_cast<std::int64_t>(st.plans_completed -
                                                                  (st.awaiting_plan ? 1 : 0)))},
    {"batch_shares", shares},
    {"rng", {{"seed", st.p.seed}, {"worker_seed", cp.worker_seed}, {"resumes", cp.resumes}}},
    {"faults", {{"count", cp.faults.size()}, {"started", pos.started}, {"ended", pos.ended}}},
    {"solo_samples_per_s", st.p.solo_samples_per_s},
    {"base_rate", st.p.base_rate},
    {"optimizer",
     {{"kind", "sgd"},
      {"lr", st.optimizer->lr()},
      {"momentum", st.optimizer->momentum()},
      {"weight_decay", st.optimizer->weight_decay()},
      {"steps", st.optimizer->steps()},
      {"momentum_buffer", momentum.defined()}}},
    {"accounting", account_to_json(a)}};
  std::vector<checkpoint_blob_view> blobs{
    {"weights", st.weights.data_ptr(), static_cast<std::size_t>(st.weights.nbytes())}};
  if (momentum.defined())
    blobs.push_back({"momentum", momentum.data_ptr(), static_cast<std::size_t>(momentum.nbytes())});
  try {
    auto file = write_checkpoint(cp.run_dir, std::move(m), blobs, ++st.ckpt_sequence);
    record(self, {{"type", "checkpoint"},
                  {"reason", why},
                  {"version", st.version},
                  {"round", st.acct.rounds},
                  {"file", file}});
    st.acct.checkpoint_wall_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return file;
  } catch (const std::exception& e) {
    st.acct.errors.push_back(std::string("checkpoint failed: ") + e.what());
    record(self, {{"type", "error"}, {"what", std::string("checkpoint failed: ") + e.what()}});
    if (error)
      *error = std::string("checkpoint failed: ") + e.what();
  }
  return "";
}

/// At a round boundary: a checkpoint when checkpoint.every_rounds or every_s is due.
void maybe_checkpoint(self_ptr self) {
  auto& st = self->state;
  const auto& cp = st.p.checkpoint;
  if (!cp.enabled() || st.stopping || st.awaiting_plan)  // a plan change is a boundary too
    return;
  if (cp.every_rounds > 0 && st.acct.rounds - st.ckpt_last_round >= cp.every_rounds)
    save_checkpoint(self, "rounds");
  else if (cp.every_s > 0.0 && now(self) - st.ckpt_last_at_s >= cp.every_s)
    save_checkpoint(self, "time");
}

/// A resumed run continues from the checkpoint: version, counters, optimizer state, membership
/// (the weights and the policies' state were restored by the run driver). The incarnations that
/// were running at the checkpoint are gone: what they computed and had not had applied is
/// dropped (`crashed`, `in_flight`), which keeps samples_computed = applied + dropped + in flight.
void restore_checkpoint(self_ptr self) {
  auto& st = self->state;
  const auto& r = *st.p.checkpoint.resume;
  const auto& m = r.manifest;
  st.version = r.version;
  st.acct.version = r.version;
  account_from_json(m.at("accounting"), st.acct, r.manifest_path);
  if (r.momentum.defined())
    st.optimizer->set_momentum_buffer(r.momentum.clone());
  st.members.epoch = m.at("membership").at("epoch").get<std::uint64_t>();
  // Data epochs follow the samples applied: a disturbance draws at the next epoch end, not at
  // every one that passed before the checkpoint.
  if (st.p.samples_per_epoch > 0)
    st.epoch = st.acct.samples_applied / st.p.samples_per_epoch;
  st.plans_completed = m.at("batch_state").value("plan.completed", 0.0);
  st.ckpt_sequence = r.sequence;
  st.ckpt_last_round = st.acct.rounds;
  st.ckpt_last_at_s = r.elapsed_s;
  record(self, {{"type", "resume"},
                {"version", r.version},
                {"round", st.acct.rounds},
                {"from_elapsed_s", r.elapsed_s},
                {"checkpoint", m.at("tensors").at("file")},
                {"resumes", st.p.checkpoint.resumes}});
  for (std::size_t w = 0; w < st.slots.size(); ++w) {
    auto& a = st.acct.workers[w];
    const auto delivered = a.samples_applied + a.dropped_total();
    const auto lost = a.samples_computed - std::min(a.samples_computed, delivered);
    a.dropped[static_cast<std::size_t>(drop_reason::crashed)] += lost;
    if (lost > 0)
      record(self, {{"type", "dropped"},
                    {"worker", w},
                    {"reason", to_string(drop_reason::crashed)},
                    {"samples", lost},
                    {"in_flight", true},
                    {"interrupted", true},
                    {"current_version", st.version}});
    // A worker that was out at the checkpoint (crashed, no rejoin yet) stays out: the run
    // starts without it, and a rejoin fault brings it back.
    if (std::find(r.live.begin(), r.live.end(), static_cast<worker_id>(w)) == r.live.end()) {
      st.slots[w].joined = true;
      a.left = true;
    }
  }
}

/// cluster.transport = "gloo" or "nccl": sums the payloads of `used`, each times its weight a_k
/// (`weights`, in the order of `used`), into st.sum_buffer by an all-reduce of the participants
/// whose payloads stayed with them (each scales its own) and this aggregator (rank 0). The
/// aggregator's rank holds the weighted sum of the payloads that came inside messages (hosted
/// workers, cluster.hosted_workers), or zeros. The participants are asked to take part first; a
/// new set of participants is a new group. False when the round cannot be summed: its
/// contributions are then dropped (`collective`) and the model is left as it was.
bool all_reduce_round(self_ptr self, const std::vector<pending_entry>& used,
                      const nlohmann::json& weights, const reduce_request_msg& step) {
  auto& st = self->state;
  std::vector<std::pair<worker_id, double>> ranked;  // (worker, a_k), by worker id
  std::vector<worker_id> members;
  std::string why;
  for (std::size_t i = 0; i < used.size(); ++i) {
    const auto& e = used[i];
    if (e.payload.defined())
      continue;  // a hosted worker's: summed into rank 0's part below
    ranked.emplace_back(e.meta.worker, weights.at(i).get<double>());
    if (!st.slots[e.meta.worker].live)
      why = "worker " + std::to_string(e.meta.worker) + " left before its payload was summed";
  }
  std::sort(ranked.begin(), ranked.end());
  for (const auto& [w, a] : ranked)
    members.push_back(w);
  if (std::adjacent_find(members.begin(), members.end()) != members.end())
    why = "a worker has two contributions in one round (it keeps only its last payload)";
  if (why.empty()) {
    if (members != st.group_members) {
      st.group_members = members;
      st.group_serial += 1;
    }
    const int size = static_cast<int>(members.size()) + 1;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      auto r = step;
      r.group = st.group_serial;
      r.rank = static_cast<std::int32_t>(i + 1);
      r.size = size;
      r.weight = ranked[i].second;
      self->send(st.slots[ranked[i].first].handle, std::move(r));
    }
    if (!st.sum_buffer.defined() || st.sum_buffer.numel() != st.weights.numel() ||
        st.sum_buffer.use_count() > 1)
      st.sum_buffer = at::zeros_like(st.weights);
    else
      st.sum_buffer.zero_();
    for (std::size_t i = 0; i < used.size(); ++i)
      if (used[i].payload.defined())
        add_scaled(st.sum_buffer, used[i].payload, weights.at(i).get<double>());
    // Blocks this scheduler thread for one all-reduce (what summing N payloads here would
    // cost); the workers and the rendezvous store have threads of their own. Nothing is heard
    // meanwhile, so no worker is blamed for the silence.
    auto heard_all = [&] {
      for (auto& slot : st.slots)
        if (slot.remote)
          slot.last_heard_s = now(self);
    };
    try {
      st.group->all_reduce(st.group_serial, 0, size, st.sum_buffer.data_ptr<float>(),
                           static_cast<std::size_t>(st.sum_buffer.numel()));
      heard_all();
      return true;
    } catch (const collective_error& e) {
      heard_all();
      st.group_members.clear();  // whoever is left connects afresh next round
      why = e.what();
    }
  }
  std::cerr << "hetsgd: a round could not be summed: " << why << "\n";
  record(self, {{"type", "collective_failed"}, {"why", why}, {"participants", members}});
  for (const auto& e : used)
    count_dropped(self, e.meta, drop_reason::collective);
  return false;
}

void apply_round(self_ptr self, const round_decision& d) {
  auto& st = self->state;
  at::Tensor sum;
  bool sum_owned = false;     ///< `sum` is our own tensor, not a contribution's payload
  double weight_total = 0.0;  ///< Σ a_k
  double weighted_samples = 0.0;
  double loss_sum = 0.0;
  std::uint64_t samples = 0;
  nlohmann::json participants = nlohmann::json::array();
  nlohmann::json weights = nlohmann::json::array();
  nlohmann::json staleness = nlohmann::json::array();
  nlohmann::json worker_samples = nlohmann::json::array();
  nlohmann::json ahead = nlohmann::json::array();
  std::vector<pending_entry> used;
  used.reserve(d.apply.size());
  for (auto& wc : d.apply) {
    auto it = st.pending.find(wc.id);
    if (it == st.pending.end()) {
      std::cerr << "hetsgd: policy " << st.p.policy_name << " applied unknown contribution "
                << wc.id << " (" << __FILE__ << ":" << __LINE__ << ")\n";
      std::abort();
    }
    used.push_back(std::move(it->second));
    st.pending.erase(it);
  }
  // A round with any payload left with its worker is summed by the all-reduce, which also adds
  // the payloads that came in messages (hosted workers) into the aggregator's own rank.
  const bool reduced = std::any_of(used.begin(), used.end(),
                                   [](const pending_entry& e) { return !e.payload.defined(); });
  for (std::size_t i = 0; i < used.size(); ++i) {
    const auto& wc = d.apply[i];
    auto& e = used[i];
    if (reduced) {
      // Summed by the round's all-reduce (below).
      weighted_samples += wc.weight * static_cast<double>(e.meta.samples);
      weight_total += wc.weight;
    } else {
      // Σ a_k payload_k for every combine rule. Payloads are shared with their senders: read
      // them, never write. The first term is used as is (no copy); the sum is materialized
      // only when a second term comes, in a buffer kept across rounds (no allocation per round).
      if (!sum.defined() && wc.weight == 1.0) {
        sum = e.payload;
      } else if (!sum_owned) {
        const auto first = sum;
        assign_scaled(st.sum_buffer, first.defined() ? first : e.payload,
                      first.defined() ? 1.0 : wc.weight);
        if (first.defined())
          add_scaled(st.sum_buffer, e.payload, wc.weight);
        sum = st.sum_buffer;
        sum_owned = true;
      } else {
        add_scaled(sum, e.payload, wc.weight);
      }
      weighted_samples += wc.weight * static_cast<double>(e.meta.samples);
      weight_total += wc.weight;
    }
    loss_sum += e.loss_sum;
    samples += e.meta.samples;
    participants.push_back(e.meta.worker);
    worker_samples.push_back(e.meta.samples);
    weights.push_back(wc.weight);
    staleness.push_back(st.version - std::min(st.version, e.meta.version));
    ahead.push_back(e.meta.version - std::min(e.meta.version, e.version_at_arrival));
  }
  const bool averaging = d.combine == combine_rule::model_average;
  if (used.empty() ||
      (d.combine == combine_rule::sample_weighted_mean && weighted_samples <= 0.0) ||
      (averaging && weight_total <= 0.0))
    return;
  if (reduced) {
    // Replicas may take this round's step as soon as they hold the sum (reduce_request_msg).
    reduce_request_msg step;
    if (st.replicate && st.p.early_start && d.combine == combine_rule::sample_weighted_mean) {
      step.step = true;
      step.from_version = st.version;
      step.apply_scale = d.lr_scale / weighted_samples;
      step.apply_lr = st.optimizer->lr();
    }
    if (!all_reduce_round(self, used, weights, step))
      return;
    sum = st.sum_buffer;
    sum_owned = true;
  }
  // Each payload was checked on arrival; a sum of several could still overflow.
  if (sum_owned && !all_finite(sum)) {
    // A non-finite update never reaches the global model: the whole round is dropped.
    for (auto& e : used)
      count_dropped(self, e.meta, drop_reason::non_finite);
    return;
  }
  switch (d.combine) {
    case combine_rule::sample_weighted_mean:  // g = Σ a_k g_k / Σ a_k n_k, then the optimizer
      st.optimizer->step_scaled(st.weights, sum, d.lr_scale / weighted_samples);
      if (reduced && st.replicate) {
        // Its participants hold the same sum: each can take this very step (make_job).
        st.last_step.version = st.version + 1;
        st.last_step.scale = d.lr_scale / weighted_samples;
        st.last_step.lr = st.optimizer->lr();
        st.last_step.hash = bit_hash(st.weights);
        st.last_step.summed.clear();
        for (const auto& e : used)
          if (!e.payload.defined())  // hosted workers get the weights in full
            st.last_step.summed.push_back(e.meta.worker);
        std::sort(st.last_step.summed.begin(), st.last_step.summed.end());
      }
      break;
    case combine_rule::model_average:  // x = Σ a_k w_k / Σ a_k
      assign_scaled(st.weights, sum, 1.0 / weight_total);
      break;
    case combine_rule::delta_sum:  // x = x + Σ a_k Δ_k
      add_scaled(st.weights, sum, 1.0);
      break;
  }
  st.retired_snapshot = std::move(st.snapshot);
  st.snapshot = at::Tensor();
  st.version += 1;
  st.acct.rounds += 1;
  st.acct.version = st.version;
  st.acct.samples_applied += samples;
  for (auto& e : used)
    st.acct.workers[e.meta.worker].samples_applied += e.meta.samples;
  note_epochs(self);
  st.last_round_at_s = now(self);
  double train_loss = samples > 0 ? loss_sum / static_cast<double>(samples) : std::nan("");
  nlohmann::json ev = {{"type", "round"},
                       {"round", st.acct.rounds},
                       {"version", st.version},
                       {"reason", to_string(d.reason)},
                       {"participants", participants},
                       {"weights", weights},
                       {"staleness", staleness},
                       {"ahead", ahead},
                       {"worker_samples", worker_samples},
                       {"samples", samples},
                       {"train_loss", std::isfinite(train_loss) ? nlohmann::json(train_loss)
                                                                : nlohmann::json(nullptr)}};
  if (!d.annotations.empty()) {
    auto& notes = ev["policy"];
    for (auto& [name, value] : d.annotations)
      notes[name] = value;
  }
  record(self, std::move(ev));
  st.p.policy->on_round_applied(context(self), train_loss);
  if (st.plan_rounds_left > 0 && --st.plan_rounds_left == 0) {
    st.plans_completed += 1;
    request_plan(self);
  }
  maybe_checkpoint(self);
}

/// After the releases: a continuous worker adopts the weights released to it at this very
/// hand-over, and a local-steps worker waiting for its release would ignore the request.
void request_uploads(self_ptr self, const std::vector<worker_id>& workers) {
  auto& st = self->state;
  for (auto w : workers)
    if (w < st.slots.size() && st.slots[w].live && st.slots[w].handle)
      self->send(st.slots[w].handle, upload_atom::value, st.version);
}

void arm_timer(self_ptr self, double wake_at_s) {
  auto& st = self->state;
  auto token = ++st.timer_token;
  self->delayed_send(self, to_duration(wake_at_s - now(self)), tick_atom::value, token);
}

void carry_out(self_ptr self, const round_decision& d) {
  auto& st = self->state;
  for (auto& dc : d.drop)
    drop(self, dc.id, dc.reason);
  if (d.close)
    apply_round(self, d);
  if (d.has_timer())
    arm_timer(self, d.wake_at_s);
  if (st.stopping)
    return;
  check_stop(self);
  if (st.stopping)
    return;
  if (st.awaiting_plan) {
    // The batch plan in force has run out: nobody starts a job before the next one is in.
    // Upload requests wait too: they must reach a worker after its release (below).
    st.held_restarts.insert(st.held_restarts.end(), d.restart.begin(), d.restart.end());
    st.held_releases.insert(st.held_releases.end(), d.release.begin(), d.release.end());
    st.held_uploads.insert(st.held_uploads.end(), d.request_upload.begin(), d.request_upload.end());
    return;
  }
  for (auto w : d.restart)
    release(self, w, true);
  for (auto w : d.release)
    release(self, w, false);
  request_uploads(self, d.request_upload);
}

/// The error reply to a program's control request that cannot be done now: "REQUEST: WHY".
caf::error refusal(const char* request, const std::string& why) {
  return caf::make_error(caf::sec::runtime_error, std::string(request) + ": " + why);
}

/// Tells every live worker to hold at its next micro-batch, or to go on.
void tell_workers(self_ptr self, bool hold) {
  for (auto& slot : self->state.slots) {
    if (!slot.live || !slot.handle)
      continue;
    if (hold)
      self->send(slot.handle, pause_atom::value);
    else
      self->send(slot.handle, resume_atom::value);
  }
}

void pause_run(self_ptr self, const char* why) {
  auto& st = self->state;
  st.paused = true;
  st.paused_at_s = now(self);
  st.acct.pauses += 1;
  tell_workers(self, true);
  record(self,
         {{"type", "control"}, {"action", "pause"}, {"reason", why}, {"version", st.version}});
}

/// max_seconds is training time: the run clock less the time spent paused (seconds).
double max_seconds_left(self_ptr self) {
  auto& st = self->state;
  return st.p.max_seconds + st.acct.paused_s - now(self);
}

void resume_run(self_ptr self, const char* why) {
  auto& st = self->state;
  const double held_s = std::max(0.0, now(self) - st.paused_at_s);
  st.acct.paused_s += held_s;
  st.paused = false;
  st.start_pending = false;
  st.resumed_at_s = now(self);
  tell_workers(self, false);
  record(self, {{"type", "control"},
                {"action", "resume"},
                {"reason", why},
                {"version", st.version},
                {"paused_s", held_s}});
  if (st.deadline_due) {
    st.deadline_due = false;
    self->delayed_send(self, to_duration(max_seconds_left(self)), deadline_atom::value);
  }
}

void start_run(self_ptr self) {
  auto& st = self->state;
  if (st.started || !st.run_requested || !st.plan_received)
    return;
  for (auto& s : st.slots)
    if (!s.joined)
      return;
  st.started = true;
  st.last_round_at_s = now(self);
  st.last_progress_at_s = now(self);
  record(self, {{"type", "start"},
                {"policy", st.p.policy_name},
                {"workers", st.p.workers},
                {"membership_epoch", st.members.epoch}});
  if (st.p.max_seconds > 0.0)  // counted on the run clock, which a resumed run continues
    self->delayed_send(self, to_duration(st.p.max_seconds - now(self)), deadline_atom::value);
  self->delayed_send(self, to_duration(st.p.eval_every_s), eval_atom::value);
  self->delayed_send(self, to_duration(std::max(0.05, st.p.progress_every_s)),
                     progress_atom::value);
  busy_timer bt(st);
  carry_out(self, st.p.policy->on_start(context(self)));
}

void on_eval_result(self_ptr self, const eval_result_msg& r) {
  auto& st = self->state;
  st.acct.evaluations += 1;
  st.last_accuracy = r.accuracy;
  self->send(st.p.recorder, metric_atom::value, r.at_s, r.samples_applied, r.accuracy, r.loss,
             r.version);
  record(self, {{"type", "evaluation"},
                {"at_s", r.at_s},
                {"version", r.version},
                {"samples_applied", r.samples_applied},
                {"accuracy", r.accuracy},
                {"loss", r.loss},
                {"test_samples", r.samples}});
  st.acct.eval_wall_s += r.eval_wall_s;  // wall.json: a wall time has no place in the events
  if (!st.acct.time_to_target_s && r.accuracy >= st.p.target_accuracy)
    st.acct.time_to_target_s = r.at_s;
}

void send_eval(self_ptr self) {
  auto& st = self->state;
  if (st.eval_busy || st.stopping || !st.started)
    return;
  st.eval_busy = true;
  self
    ->request(st.p.evaluator, to_duration(st.p.request_timeout_s),
              eval_request_msg{st.version, now(self), st.acct.samples_applied,
                               tensor_payload{current_snapshot(self)}, st.p.eval_samples})
    .then(
      [self](eval_result_msg& r) {
        self->state.eval_busy = false;
        if (!self->state.stopping)
          on_eval_result(self, r);
      },
      [self](caf::error& err) {
        self->state.eval_busy = false;
        record(self,
               {{"type", "error"}, {"what", "evaluation failed: " + self->system().render(err)}});
      });
}

void deliver_outcome(self_ptr self) {
  auto& st = self->state;
  auto json = st.acct.summary_json();
  auto quit_all = [=](const std::string& summary) {
    auto& s = self->state;
    self->send_exit(s.p.evaluator, caf::exit_reason::user_shutdown);
    self->send_exit(s.p.batch_controller, caf::exit_reason::user_shutdown);
    run_outcome_msg outcome{s.acct.exit_code, s.acct.end_reason, summary,
                            s.acct.wall_json().dump()};
    if (s.driver) {
      self->send(s.driver, done_atom::value, std::move(outcome));
      self->quit();
      return;
    }
    // The run ended before a driver asked for it (e.g. a worker failed during setup): keep the
    // outcome for the driver's run_atom, for at most request_timeout_s.
    self->become(
      [=](run_atom) {
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), done_atom::value, outcome);
        self->quit();
      },
      [=](deadline_atom, const std::string& what) {
        if (what == "outcome")
          self->quit();
      });
    self->delayed_send(self, to_duration(s.p.request_timeout_s), deadline_atom::value,
                       std::string("outcome"));
  };
  self->request(st.p.recorder, to_duration(st.p.request_timeout_s), summary_atom::value, json)
    .then([=](bool) { quit_all(json); },
          [=](caf::error& err) {
            auto& s = self->state;
            s.acct.exit_code = 1;
            s.acct.end_reason += "; writing summary failed: " + self->system().render(err);
            quit_all(s.acct.summary_json());  // re-rendered: exit_code and end_reason changed
          });
}

void final_evaluation(self_ptr self) {
  auto& st = self->state;
  self
    ->request(st.p.evaluator, to_duration(st.p.request_timeout_s),
              eval_request_msg{st.version, st.end_at_s, st.acct.samples_applied,
                               tensor_payload{current_snapshot(self)}, 0})
    .then(
      [self](eval_result_msg& r) {
        auto& s = self->state;
        s.acct.final_evaluated = true;
        s.acct.final_accuracy = r.accuracy;
        s.acct.final_loss = r.loss;
        on_eval_result(self, r);
        deliver_outcome(self);
      },
      [self](caf::error& err) {
        auto& s = self->state;
        s.acct.errors.push_back("final evaluation failed: " + self->system().render(err));
        deliver_outcome(self);
      });
}

void stats_done(self_ptr self) {
  if (--self->state.stats_outstanding == 0)
    final_evaluation(self);
}

void finish(self_ptr self, int exit_code, const std::string& reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.end_at_s = now(self);
  if (st.paused)  // the pause ends with the run
    st.acct.paused_s += std::max(0.0, st.end_at_s - st.paused_at_s);
  st.acct.elapsed_s = st.end_at_s;
  st.acct.exit_code = exit_code;
  st.acct.end_reason = reason;
  record(self, {{"type", "end"}, {"reason", reason}, {"exit_code", exit_code}});
  if (exit_code == 0 && st.started && st.p.checkpoint.enabled())
    save_checkpoint(self, "end");  // a failed run keeps its last good checkpoint
  if (st.stragglers) {
    st.acct.stragglers.current = st.stragglers->current();
    st.acct.stragglers.per_worker.clear();
    for (worker_id w = 0; w < st.stragglers->workers(); ++w)
      st.acct.stragglers.per_worker.push_back(st.stragglers->stats(w));
  }
  for (auto& [id, e] : st.pending)
    st.acct.workers[e.meta.worker].samples_pending_at_end += e.meta.samples;
  st.pending.clear();
  st.stats_outstanding = 1;  // released below, after all requests went out
  for (std::size_t w = 0; w < st.slots.size(); ++w) {
    auto& slot = st.slots[w];
    for (auto& w8 : slot.waiting) {
      job_msg j;
      j.stop = true;
      j.sent_at_s = now(self);
      j.answers = w8.seq;
      w8.promise.deliver(std::move(j));
    }
    slot.waiting.clear();
    for (auto& [seq, held] : slot.out_of_order) {
      // Held behind a lost push that never came: never taken, so in flight at the end.
      job_msg j;
      j.stop = true;
      j.answers = seq;
      held.promise.deliver(std::move(j));
    }
    slot.out_of_order.clear();
    if (!slot.live || !slot.handle)
      continue;
    ++st.stats_outstanding;
    self->request(slot.handle, to_duration(st.p.request_timeout_s), stop_atom::value)
      .then(
        [=](worker_stats_msg& s) {
          auto& a = self->state.acct.workers[w];
          a.final_stats = true;
          a.booked += 1;
          // Summed: earlier incarnations of a worker that crashed and rejoined were booked at
          // their crash.
          a.samples_computed += s.samples_computed;
          // Pushes still on the link when the run ended are in flight too.
          auto& sl = self->state.slots[w];
          a.samples_in_flight +=
            s.samples_in_flight +
            (s.samples_pushed - std::min(s.samples_pushed, sl.samples_received));
          a.link.lost += s.messages_lost;
          a.link.retransmits += s.retransmits;
          // Samples of jobs discarded by a restart never reached us as a contribution: they
          // are dropped (restarted), which keeps computed = applied + dropped + in flight.
          a.dropped[static_cast<std::size_t>(drop_reason::restarted)] += s.samples_discarded;
          log_discarded(self, w, s.samples_discarded);
          a.micro_batches += s.micro_batches;
          a.jobs += s.jobs;
          a.early_jobs += s.early_jobs;
          a.compute_s += s.compute_s;
          a.stretch_s += s.stretch_s;
          a.idle_s += s.idle_s;
          a.release_latency_s += s.release_latency_s;
          a.release_cpu_wait_s += s.release_cpu_wait_s;
          stats_done(self);
        },
        [=](caf::error& err) {
          self->state.acct.errors.push_back("worker " + std::to_string(w) +
                                            " did not report: " + self->system().render(err));
          stats_done(self);
        });
  }
  stats_done(self);
}

/// Batch sizes and contiguous data slices per worker; used from the next job on.
void apply_plan(self_ptr self, const batch_plan_msg& plan) {
  auto& st = self->state;
  st.plan_rounds_left = plan.rounds;
  double begin = 0.0;
  for (std::size_t w = 0; w < st.slots.size() && w < plan.batches.size(); ++w) {
    st.slots[w].batch = plan.batches[w];
    st.slots[w].share_begin = begin;
    begin += plan.shares[w];
    st.slots[w].share_end = w + 1 == st.slots.size() ? 1.0 : begin;
  }
  record(self, {{"type", "batch_plan"},
                {"batches", plan.batches},
                {"shares", plan.shares},
                {"rounds", plan.rounds},
                {"version", st.version}});
}

/// The batch plan in force ran out (DBS: an epoch ended): hold every release until the
/// controller answers with the next plan, so that no job starts on the old batch sizes.
void request_plan(self_ptr self) {
  auto& st = self->state;
  st.awaiting_plan = true;
  self->request(st.p.batch_controller, to_duration(st.p.request_timeout_s), plan_atom::value)
    .then(
      [=](batch_plan_msg& plan) {
        auto& s = self->state;
        busy_timer bt(s);
        s.awaiting_plan = false;
        if (s.stopping)
          return;
        apply_plan(self, plan);
        auto restarts = std::move(s.held_restarts);
        auto releases = std::move(s.held_releases);
        auto uploads = std::move(s.held_uploads);
        s.held_restarts.clear();
        s.held_releases.clear();
        s.held_uploads.clear();
        for (auto w : restarts)
          release(self, w, true);
        for (auto w : releases)
          release(self, w, false);
        request_uploads(self, uploads);
      },
      [=](caf::error& err) {
        finish(self, 1,
               "batch controller did not send the next batch plan: " + self->system().render(err));
      });
}

/// Logs every change of the current straggler.
void record_straggler_changes(self_ptr self, const std::vector<straggler_change>& changes) {
  auto& st = self->state;
  for (auto& c : changes) {
    st.acct.stragglers.changes += 1;
    auto s = st.stragglers->stats(c.worker);
    record(self, {{"type", "straggler"},
                  {"worker", c.worker},
                  {"change", c.became ? "became" : "recovered"},
                  {"ewma_s_per_sample", s.ewma_s_per_sample},
                  {"ewma_step_s", s.ewma_s}});
  }
}

/// A worker's push `seq` went unanswered for a while: tell it whether the push got lost on the
/// way (send it again), is waiting for its round, or was answered and the answer got lost or is
/// late (here it is again). Both are counted and logged per worker.
probe_reply_msg answer_probe(self_ptr self, worker_id w, std::uint64_t seq) {
  auto& st = self->state;
  auto& slot = st.slots[w];
  auto& a = st.acct.workers[w];
  probe_reply_msg r;
  r.seq = seq;
  if (seq > slot.last_seq_received && slot.out_of_order.count(seq) == 0) {
    r.status = static_cast<std::uint8_t>(probe_status::missing);
    // The probe travelled behind the push on the same FIFO link: the push was lost.
    a.link.pushes_missing += 1;
    record(self, {{"type", "push_missing"}, {"worker", w}, {"seq", seq}});
  } else if (seq > slot.answered_seq) {
    r.status = static_cast<std::uint8_t>(probe_status::pending);
  } else {
    r.status = static_cast<std::uint8_t>(probe_status::answered);
    // Lost, or still queued on a slow link: the aggregator cannot tell, so it sends it again
    // (the worker ignores a second copy).
    a.link.answers_resent += 1;
    record(self, {{"type", "answer_resent"}, {"worker", w}, {"seq", seq}});
    r.job = slot.last_answer;
    r.job.sent_at_s = now(self);
    st.acct.bytes_moved +=
      static_cast<std::uint64_t>(r.job.weights.value.defined() ? r.job.weights.value.nbytes() : 0);
  }
  return r;
}

/// A worker incarnation died without reporting: what it computed and never delivered is lost.
/// Its counters outlive it (worker_counters), so the loss is booked exactly: dropped (crashed),
/// and its discarded restarts as dropped (restarted).
void book_crash(self_ptr self, worker_id w) {
  auto& st = self->state;
  auto& slot = st.slots[w];
  auto& a = st.acct.workers[w];
  a.crashes += 1;
  if (!slot.counters)
    return;  // no counters (a test's fake worker): the run reports it as not accounted
  const std::uint64_t computed = slot.counters->samples_computed;
  const std::uint64_t pushed = slot.counters->samples_pushed;
  const std::uint64_t discarded = slot.counters->samples_discarded;
  // Pushed but never arrived (lost or still on a slow link when it died) is lost too.
  const std::uint64_t on_link = pushed - std::min(pushed, slot.samples_received);
  const std::uint64_t lost = computed - std::min(computed, pushed + discarded) + on_link;
  a.booked += 1;
  a.samples_computed += computed;
  a.dropped[static_cast<std::size_t>(drop_reason::restarted)] += discarded;
  a.dropped[static_cast<std::size_t>(drop_reason::crashed)] += lost;
  log_discarded(self, w, discarded);
  record(self, {{"type", "dropped"},
                {"worker", w},
                {"reason", to_string(drop_reason::crashed)},
                {"samples", lost},
                {"in_flight", true},
                {"current_version", st.version}});
  slot.counters.reset();
}

void on_member_lost(self_ptr self, worker_id w, const std::string& why) {
  auto& st = self->state;
  auto& slot = st.slots[w];
  if (!slot.live)
    return;
  slot.live = false;
  slot.waiting.clear();
  slot.out_of_order.clear();
  st.acct.workers[w].left = true;
  if (!st.stopping) {
    book_crash(self, w);
    if (st.stragglers)
      record_straggler_changes(self, st.stragglers->forget(w));
  }
  auto& live = st.members.live;
  live.erase(std::remove(live.begin(), live.end(), w), live.end());
  st.members.epoch += 1;
  record(self, {{"type", "membership"},
                {"worker", w},
                {"change", "left"},
                {"why", why},
                {"epoch", st.members.epoch},
                {"live", live}});
  if (st.stopping || !st.started)
    return;
  if (live.empty()) {
    finish(self, 1, "no live workers left (last: worker " + std::to_string(w) + ": " + why + ")");
    return;
  }
  carry_out(self, st.p.policy->on_membership_change(context(self)));
}

}  // namespace

namespace {

/// Why a push cannot be used ("" = it can): checked before anything reads it, because a worker
/// in another process may send anything (a bug, a version mismatch, an attacker with the token).
std::string malformed(const aggregator_state& s, const contribution_msg& c) {
  const auto& t = c.payload.value;
  const bool collective = s.slots[c.worker].collective;
  if (c.in_collective && !collective)
    return s.group ? "a payload left for an all-reduce, but this worker runs in the aggregator's "
                     "process (cluster.hosted_workers) and sends its payloads in messages"
                   : "a payload left for an all-reduce, but cluster.transport is local";
  if (!c.in_collective && collective)
    return "a payload inside the message, but cluster.transport sums payloads with an all-reduce";
  if (c.in_collective && t.defined())
    return "a payload inside the message as well as in the all-reduce";
  if (!c.in_collective && !t.defined())
    return "no payload";
  if (!c.in_collective &&
      (t.scalar_type() != at::kFloat || t.dim() != 1 || t.numel() != s.weights.numel()))
    return "payload " + describe_tensor(t) + ", the model needs Float[" +
           std::to_string(s.weights.numel()) + "]";
  // An OD-SGD worker tags its push with the version its local step leads to: one ahead.
  const version_t lead = s.p.policy->traits().mode == worker_mode::delayed_local ? 1 : 0;
  if (c.version > s.version + lead)
    return "computed on version " + std::to_string(c.version) + ", ahead of the aggregator's " +
           std::to_string(s.version);
  if (c.samples > max_samples_per_push)
    return std::to_string(c.samples) + " samples in one push";
  for (double d : {c.compute_s, c.busy_s, c.sent_at_s})
    if (!std::isfinite(d) || d < 0.0)
      return "a time of " + std::to_string(d) + " s";
  return {};
}

/// Refuses push `c` of live worker c.worker: counted, logged, and booked as dropped (invalid),
/// so that its samples still balance the worker's counters.
void reject_push(self_ptr self, const contribution_msg& c, const std::string& why) {
  auto& s = self->state;
  auto& slot = s.slots[c.worker];
  s.acct.rejected_messages += 1;
  slot.last_seq_received = std::max(slot.last_seq_received, c.seq);
  slot.samples_received += c.samples;
  auto& a = s.acct.workers[c.worker];
  a.samples_pushed += c.samples;
  a.dropped[static_cast<std::size_t>(drop_reason::invalid)] += c.samples;
  record(self, {{"type", "dropped"},
                {"worker", c.worker},
                {"reason", to_string(drop_reason::invalid)},
                {"samples", c.samples},
                {"why", why},
                {"current_version", s.version}});
  if (s.acct.rejected_messages <= 5)
    std::cerr << "hetsgd: rejected a push of worker " << c.worker << ": " << why << "\n";
}

}  // namespace

/// Takes push `c` of a live worker, in its order: books it, hands it to the policy and keeps
/// `rp` to answer it with the worker's next job. `core_wait_s`: how long its message waited for
/// a core (push latency accounting).
void accept_push(self_ptr self, contribution_msg& c, caf::typed_response_promise<job_msg> rp,
                 double core_wait_s) {
  auto& s = self->state;
  auto& slot = s.slots[c.worker];
  if (slot.counters)
    log_discarded(self, c.worker, slot.counters->samples_discarded);
  slot.last_seq_received = std::max(slot.last_seq_received, c.seq);
  slot.samples_received += c.samples;
  if (slot.remote) {
    // What arrived was computed and pushed, whatever the last heartbeat said.
    auto& m = *slot.counters;
    m.samples_pushed = std::max<std::uint64_t>(m.samples_pushed, slot.samples_received);
    m.samples_computed =
      std::max<std::uint64_t>(m.samples_computed, m.samples_pushed + m.samples_discarded);
    slot.last_heard_s = now(self);
  }
  auto& a = s.acct.workers[c.worker];
  double t = now(self);
  a.samples_pushed += c.samples;
  a.contributions += 1;
  a.push_latency_s += std::max(0.0, t - c.sent_at_s);
  a.push_cpu_wait_s += std::min(std::max(0.0, t - c.sent_at_s), core_wait_s);
  slot.pushed_since_progress += c.samples;
  if (s.stragglers && !s.stopping)
    record_straggler_changes(self, s.stragglers->on_step(c.worker, c.busy_s, c.samples));
  s.acct.bytes_moved +=
    static_cast<std::uint64_t>(c.payload.value.defined() ? c.payload.value.nbytes() : 0);
  slot.waiting.push_back({rp, c.seq});
  contribution_meta m;
  m.id = s.next_id++;
  m.worker = c.worker;
  m.version = c.version;
  m.samples = c.samples;
  m.local_steps = c.local_steps;
  m.compute_s = c.compute_s;
  m.arrived_at_s = t;
  m.membership_epoch = s.members.epoch;
  s.pending.emplace(m.id, pending_entry{m, std::move(c.payload.value), c.loss_sum, s.version});
  if (s.stopping) {
    // Arrived after the end: in flight, and the worker is told to stop.
    s.acct.workers[c.worker].samples_pending_at_end += c.samples;
    s.pending.erase(m.id);
    for (auto& w8 : slot.waiting) {
      job_msg j;
      j.stop = true;
      j.answers = w8.seq;
      w8.promise.deliver(std::move(j));
    }
    slot.waiting.clear();
    return;
  }
  if (auto& e = s.pending[m.id]; e.payload.defined() && !all_finite(e.payload)) {
    // Its samples are dropped (non_finite) and never touch the model. The policy still sees
    // the arrival, as an empty one (no samples, a payload that changes nothing), so that a
    // policy waiting for this worker's hand-over goes on exactly as if it had computed
    // nothing.
    count_dropped(self, m, drop_reason::non_finite);
    // Every drop is an event and counted in summary.json; stderr tells the first few per
    // worker, so that a diverging run does not bury everything else.
    constexpr std::uint64_t told_per_worker = 5;
    if (auto& told = s.slots.at(c.worker).non_finite_reported; told < told_per_worker) {
      ++told;
      std::cerr << "hetsgd: worker " << c.worker << " sent a non-finite "
                << to_string(s.p.policy->traits().payload) << "; its " << m.samples
                << " samples are dropped"
                << (told == told_per_worker ? " (further ones: events.jsonl and summary.json)" : "")
                << "\n";
    }
    m.samples = 0;
    m.local_steps = 0;
    e.meta = m;
    e.loss_sum = 0.0;
    e.payload = s.p.policy->traits().payload == payload_kind::model
                  ? current_snapshot(self)  // averaging it in moves nothing forward
                  : at::zeros_like(e.payload);
  }
  carry_out(self, s.p.policy->on_arrival(m, context(self)));
}

caf::behavior aggregator_actor(self_ptr self, aggregator_params p) {
  auto& st = self->state;
  st.p = std::move(p);
  st.weights = st.p.initial_weights.clone();
  st.optimizer = std::make_unique<flat_sgd>(st.p.lr, st.p.momentum, st.p.weight_decay);
  st.slots.resize(static_cast<std::size_t>(st.p.workers));
  st.acct.policy = st.p.policy_name;
  st.acct.clock = st.p.clock->kind();
  st.acct.model = st.p.model_name;
  st.acct.seed = st.p.seed;
  st.acct.target_accuracy = st.p.target_accuracy;
  st.acct.solo_samples_per_s = st.p.solo_samples_per_s;
  st.acct.base_rate = st.p.base_rate;
  st.acct.workers.resize(st.slots.size());
  if (st.p.straggler_report) {
    st.stragglers = std::make_unique<straggler_report>(st.slots.size(), st.p.straggler_ewma_alpha,
                                                       st.p.straggler_factor);
    st.acct.stragglers.enabled = true;
  }
  for (std::size_t w = 0; w < st.slots.size(); ++w) {
    st.acct.workers[w].id = static_cast<worker_id>(w);
    st.acct.workers[w].speed = w < st.p.speeds.size() ? st.p.speeds[w] : 1.0;
  }
  if (st.p.checkpoint.resume)
    restore_checkpoint(self);
  if (st.p.start_paused) {
    st.start_pending = true;
    pause_run(self, "start_paused");  // no worker has joined yet: each is told at its join
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    busy_timer bt(s);
    for (std::size_t w = 0; w < s.slots.size(); ++w)
      if (s.slots[w].handle && s.slots[w].handle.address() == dm.source) {
        on_member_lost(self, static_cast<worker_id>(w),
                       dm.reason ? self->system().render(dm.reason) : "exited");
        return;
      }
    if (dm.source == s.p.evaluator.address() || dm.source == s.p.recorder.address() ||
        dm.source == s.p.batch_controller.address())
      finish(self, 1, "a service actor died: " + self->system().render(dm.reason));
  });
  // A message nobody here handles (a program's mistake, or a peer speaking another version):
  // counted, logged as an event, and answered with unexpected_message; the run goes on.
  self->set_default_handler(
    [=](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
      auto text = caf::to_string(x.content());
      constexpr std::size_t shown = 200;  // a payload can be megabytes of tensor
      if (text.size() > shown)
        text = text.substr(0, shown) + "...";
      self->state.acct.rejected_messages += 1;
      record(self, {{"type", "error"}, {"what", "unexpected message " + text + " ignored"}});
      return caf::sec::unexpected_message;
    });
  self->monitor(st.p.evaluator);
  self->monitor(st.p.recorder);
  self->monitor(st.p.batch_controller);
  if (st.p.heartbeat_timeout_s > 0.0)
    self->delayed_send(self, to_duration(st.p.heartbeat_check_s), watchdog_atom::value);
  if (!st.p.collective.backend.empty()) {
    st.group = std::make_unique<round_group_member>(self->system(), st.p.collective);
    const auto& traits = st.p.policy->traits();
    st.replicate = st.p.replicate_optimizer && traits.mode == worker_mode::push_and_wait &&
                   traits.payload == payload_kind::gradient_sum;
  }
  // Ask for the batch plan; the run starts once it and every worker's join are in.
  self
    ->request(st.p.batch_controller, to_duration(st.p.request_timeout_s), batch_atom::value,
              static_cast<std::uint64_t>(st.p.workers))
    .then(
      [=](batch_plan_msg& plan) {
        apply_plan(self, plan);
        self->state.plan_received = true;
        start_run(self);
      },
      [=](caf::error& err) {
        finish(self, 1, "batch controller did not answer: " + self->system().render(err));
      });
  return {
    [=](run_atom) {
      auto& s = self->state;
      if (self->current_message_id().is_request()) {
        // A program's start (run_options::start_paused); run_training's driver only sends.
        auto rp = self->make_response_promise();
        if (s.stopping)
          rp.deliver(refusal("start", "the run is ending"));
        else if (!s.start_pending)
          rp.deliver(refusal("start", s.p.start_paused
                                        ? "the run has already been started"
                                        : "the run has already been started (it starts by "
                                          "itself unless run_options::start_paused is set)"));
        else {
          if (s.paused)
            resume_run(self, "start");
          s.start_pending = false;
          rp.deliver(true);
        }
        return;
      }
      if (s.driver) {
        record(self, {{"type", "error"},
                      {"what",
                       "a second driver's run_atom was ignored (send it as a request "
                       "to start a run begun with start_paused)"}});
        return;
      }
      s.driver = caf::actor_cast<caf::actor>(self->current_sender());
      s.run_requested = true;
      // Every worker must join within the request deadline.
      self->delayed_send(self, to_duration(s.p.request_timeout_s), deadline_atom::value,
                         std::string("join"));
      start_run(self);
    },
    [=](resync_atom, worker_id w) -> caf::result<job_msg> {
      // A replica that could not take the step it was sent (its all-reduce failed on its side,
      // or its weights no longer hash to the aggregator's): the weights and momentum in full.
      auto& s = self->state;
      if (w >= s.slots.size() || !s.slots[w].live || !s.replicate ||
          caf::actor_cast<caf::actor>(self->current_sender()) != s.slots[w].handle)
        return caf::make_error(caf::sec::invalid_argument,
                               "resync: worker " + std::to_string(w) + " is not a live replica");
      s.slots[w].resyncs += 1;
      record(self, {{"type", "resync"},
                    {"worker", w},
                    {"version", s.version},
                    {"resyncs", s.slots[w].resyncs}});
      return make_job(self, w, false);
    },
    [=](join_atom, worker_id w) -> caf::result<job_msg> {
      auto& s = self->state;
      busy_timer bt(s);
      if (w >= s.slots.size())
        return caf::make_error(caf::sec::runtime_error,
                               "worker id " + std::to_string(w) + " out of range");
      auto& slot = s.slots[w];
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      if (s.stopping || (slot.live && slot.handle == sender))
        return caf::make_error(caf::sec::runtime_error,
                               "worker " + std::to_string(w) + " cannot join now");
      // A new incarnation of a live worker replaces it (a restart whose old incarnation's down
      // message has not arrived yet): the old one is lost, as in a crash.
      if (slot.live)
        on_member_lost(self, w, "replaced by a new incarnation");
      const bool rejoin = slot.joined;
      slot.handle = sender;
      slot.joined = true;
      slot.live = true;
      slot.counters = s.p.counters ? s.p.counters->current(w) : nullptr;
      const bool hosted = w < s.p.hosted_workers;
      slot.remote = s.p.heartbeat_timeout_s > 0.0 && !hosted;
      slot.collective = static_cast<bool>(s.group) && !hosted;
      if (slot.remote) {
        // Its counters live in its own process: mirror them from heartbeats and pushes.
        slot.counters = std::make_shared<worker_counters>();
        slot.last_heard_s = now(self);
      }
      s.acct.workers[w].incarnations += 1;
      s.acct.workers[w].left = false;
      self->monitor(slot.handle);
      if (s.paused)  // before its first job: the same channel keeps the order
        self->send(slot.handle, pause_atom::value);
      auto& live = s.members.live;
      live.insert(std::upper_bound(live.begin(), live.end(), w), w);
      s.members.epoch += 1;
      record(self, {{"type", "membership"},
                    {"worker", w},
                    {"change", rejoin ? "rejoined" : "joined"},
                    {"epoch", s.members.epoch},
                    {"live", live}});
      slot.last_seq_received = 0;
      slot.answered_seq = 0;
      slot.last_answer = job_msg{};
      slot.samples_received = 0;
      slot.discarded_logged = 0;
      slot.out_of_order.clear();
      slot.replica_version = no_replica;  // a new incarnation starts from the weights in full
      auto rp = self->make_response_promise<job_msg>();
      slot.waiting.push_back({rp, 0});
      if (s.started)
        // Into the running job: the policy releases it with the current weights, its data
        // share and its batch, and it contributes from the next round.
        carry_out(self, s.p.policy->on_membership_change(context(self)));
      else
        start_run(self);
      return rp;
    },
    [=](contribution_msg& c) -> caf::result<job_msg> {
      auto& s = self->state;
      busy_timer bt(s);
      if (c.worker >= s.slots.size() || !s.slots[c.worker].live)
        return caf::make_error(caf::sec::runtime_error,
                               "contribution from unknown worker " + std::to_string(c.worker));
      auto& slot = s.slots[c.worker];
      if (caf::actor_cast<caf::actor>(self->current_sender()) != slot.handle)
        // Sent by an incarnation that has been replaced (a restart whose old incarnation's last
        // push arrived after the new one joined): booked with its crash, never taken.
        return caf::make_error(
          caf::sec::runtime_error,
          "contribution from a replaced incarnation of worker " + std::to_string(c.worker));
      if (c.seq > 0 && (c.seq <= slot.last_seq_received || slot.out_of_order.count(c.seq))) {
        // Sent again after a probe raced its late arrival: already here, so not counted twice.
        s.acct.workers[c.worker].link.duplicates += 1;
        return caf::make_error(
          caf::sec::runtime_error,
          "duplicate push " + std::to_string(c.seq) + " from worker " + std::to_string(c.worker));
      }
      if (auto why = malformed(s, c); !why.empty()) {
        reject_push(self, c, why);
        return caf::make_error(caf::sec::invalid_argument,
                               "push of worker " + std::to_string(c.worker) + " rejected: " + why);
      }
      auto rp = self->make_response_promise<job_msg>();
      if (c.seq > slot.last_seq_received + 1) {
        // An earlier push of this worker was lost and is being sent again: hold this one until
        // the gap is filled, so that pushes are taken (and answered) in the order they were
        // made, as on a reliable stream.
        slot.out_of_order.emplace(c.seq, held_push{std::move(c), rp});
        return rp;
      }
      accept_push(self, c, rp, bt.core_wait_s());
      // The pushes it held back, now in order.
      for (auto it = slot.out_of_order.begin();
           it != slot.out_of_order.end() && it->first == slot.last_seq_received + 1;
           it = slot.out_of_order.erase(it))
        accept_push(self, it->second.msg, it->second.promise, 0.0);
      return rp;
    },
    [=](probe_atom, worker_id w, std::uint64_t seq) -> caf::result<probe_reply_msg> {
      auto& s = self->state;
      busy_timer bt(s);
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      if (w >= s.slots.size() || !s.slots[w].live || s.slots[w].handle != sender)
        return caf::make_error(caf::sec::runtime_error,
                               "probe from unknown worker " + std::to_string(w));
      return answer_probe(self, w, seq);
    },
    [=](const heartbeat_msg& h) {
      auto& s = self->state;
      busy_timer bt(s);
      const auto& sender = self->current_sender();
      if (h.worker >= s.slots.size()) {
        s.acct.rejected_messages += 1;
        return;
      }
      // Before its worker's join or after its loss a heartbeat is merely early or late.
      if (!s.slots[h.worker].live || !s.slots[h.worker].remote)
        return;
      // Only the process that runs the live worker of that id may speak for it.
      if (!sender || sender->node() != s.slots[h.worker].handle.node()) {
        s.acct.rejected_messages += 1;
        return;
      }
      auto& slot = s.slots[h.worker];
      auto& m = *slot.counters;
      slot.last_heard_s = now(self);
      // Cumulative counters: a late heartbeat never moves them back.
      m.samples_discarded = std::max<std::uint64_t>(m.samples_discarded, h.samples_discarded);
      m.samples_pushed = std::max<std::uint64_t>(m.samples_pushed, h.samples_pushed);
      m.samples_computed = std::max<std::uint64_t>(
        {m.samples_computed.load(), h.samples_computed, m.samples_pushed + m.samples_discarded});
    },
    [=](watchdog_atom) {
      auto& s = self->state;
      if (s.stopping)
        return;
      busy_timer bt(s);
      const double t = now(self);
      for (std::size_t w = 0; w < s.slots.size(); ++w) {
        auto& slot = s.slots[w];
        if (!slot.live || !slot.remote || t - slot.last_heard_s <= s.p.heartbeat_timeout_s)
          continue;
        // Frozen (SIGSTOP), partitioned or wedged: its socket may still be open, so CAF alone
        // would not notice. It is lost like a crashed worker, and told to go.
        const std::string why =
          "no heartbeat for " + std::to_string(t - slot.last_heard_s) +
          " s (cluster.heartbeat_timeout_s = " + std::to_string(s.p.heartbeat_timeout_s) + ")";
        auto handle = slot.handle;
        on_member_lost(self, static_cast<worker_id>(w), why);
        self->send_exit(handle, caf::make_error(caf::sec::runtime_error, "expelled: " + why));
      }
      self->delayed_send(self, to_duration(s.p.heartbeat_check_s), watchdog_atom::value);
    },
    [=](epoch_atom, caf::actor listener) {
      // The epoch so far (not 0 after a resume), without an epoch end.
      self->send(listener, epoch_atom::value, static_cast<std::uint64_t>(self->state.epoch), false);
      self->state.epoch_listeners.push_back(listener);
    },
    [=](tick_atom, std::uint64_t token) {
      auto& s = self->state;
      if (s.stopping || !s.started || token != s.timer_token)
        return;
      busy_timer bt(s);
      carry_out(self, s.p.policy->on_timer(context(self)));
    },
    [=](eval_atom) {
      auto& s = self->state;
      if (s.stopping)
        return;
      send_eval(self);
      self->delayed_send(self, to_duration(s.p.eval_every_s), eval_atom::value);
    },
    [=](progress_atom) {
      auto& s = self->state;
      if (s.stopping)
        return;
      double t = now(self);
      double dt = std::max(1e-9, t - s.last_progress_at_s);
      progress_msg pm;
      pm.elapsed_s = t;
      pm.samples_applied = s.acct.samples_applied;
      pm.rounds = s.acct.rounds;
      pm.accuracy = s.last_accuracy;
      if (s.stragglers && s.stragglers->current())
        pm.straggler = static_cast<std::int64_t>(*s.stragglers->current());
      for (auto& slot : s.slots) {
        pm.worker_rates.push_back(static_cast<double>(slot.pushed_since_progress) / dt);
        slot.pushed_since_progress = 0;
      }
      s.last_progress_at_s = t;
      if (s.driver)
        self->send(s.driver, pm);
      // A paused run closes no rounds by design; its stall clock starts again at the resume.
      if (!s.paused && t - std::max(s.last_round_at_s, s.resumed_at_s) > s.p.request_timeout_s) {
        finish(self, 1,
               "no round closed for " + std::to_string(s.p.request_timeout_s) +
                 " s (cluster.request_timeout_s)");
        return;
      }
      self->delayed_send(self, to_duration(std::max(0.05, s.p.progress_every_s)),
                         progress_atom::value);
    },
    [=](deadline_atom) {
      auto& s = self->state;
      if (s.stopping)
        return;
      if (s.paused) {
        s.deadline_due = true;  // paused time is not training time: decided at the resume
        return;
      }
      if (const double left = max_seconds_left(self); left > 1e-6) {
        self->delayed_send(self, to_duration(left), deadline_atom::value);  // pauses were taken
        return;
      }
      finish(self, 0, "max_seconds reached");
    },
    [=](deadline_atom, const std::string& what) {
      auto& s = self->state;
      if (what != "join" || s.started || s.stopping)
        return;
      std::string missing;
      for (std::size_t w = 0; w < s.slots.size(); ++w)
        if (!s.slots[w].joined)
          missing += (missing.empty() ? "" : ",") + std::to_string(w);
      finish(self, 1,
             "workers " + missing + " did not join within " +
               std::to_string(s.p.request_timeout_s) + " s");
    },
    [=](const worker_failure_msg& f) {
      auto& s = self->state;
      if (f.worker < s.acct.workers.size())
        s.acct.workers[f.worker].failed = true;
      s.acct.errors.push_back("worker " + std::to_string(f.worker) + ": " + f.what);
      record(self, {{"type", "worker_failed"}, {"worker", f.worker}, {"what", f.what}});
      if (f.worker < s.slots.size())
        s.slots[f.worker].live = false;
      finish(self, 1, "worker " + std::to_string(f.worker) + " failed: " + f.what);
    },
    [=](stop_atom) { finish(self, 0, "stopped by request"); },
    // Control messages of a program that embeds hetsgd (docs/embedding.md): each is answered with
    // a value, or with an error saying why not now.
    [=](status_atom) -> run_status_msg {
      auto& s = self->state;
      run_status_msg r;
      r.policy = s.p.policy_name;
      r.started = s.started;
      r.stopping = s.stopping;
      r.paused = s.paused;
      r.elapsed_s = now(self);
      r.paused_s = s.acct.paused_s + (s.paused && !s.stopping ? now(self) - s.paused_at_s : 0.0);
      r.version = s.version;
      r.rounds = s.acct.rounds;
      r.samples_applied = s.acct.samples_applied;
      r.samples_dropped = s.acct.samples_dropped();
      r.live = s.members.live;
      r.membership_epoch = s.members.epoch;
      r.last_accuracy = s.last_accuracy;
      return r;
    },
    [=](checkpoint_atom) -> caf::result<std::string> {
      auto& s = self->state;
      if (s.p.worker_processes)
        return refusal("checkpoint", "checkpoints need cluster.mode = \"threads\" in this build");
      if (s.p.checkpoint.run_dir.empty())
        return refusal("checkpoint", "this run has no run directory to write it in");
      if (!s.started)
        return refusal("checkpoint", "the run has not started yet (its workers are joining)");
      if (s.stopping)
        return refusal("checkpoint", "the run is ending");
      if (s.awaiting_plan)
        return refusal("checkpoint", "a new batch plan is being made; ask again after it is in");
      std::string error;
      auto file = save_checkpoint(self, "request", &error);
      if (file.empty())
        return refusal("checkpoint", error);
      return checkpoint_dir(s.p.checkpoint.run_dir) + "/" + file;
    },
    [=](pause_atom) -> caf::result<bool> {
      auto& s = self->state;
      if (s.p.clock->simulated())
        return refusal("pause",
                       "a run on the simulated clock cannot pause (its time moves only "
                       "with the run's own events); use cluster.clock = \"real\"");
      if (s.stopping)
        return refusal("pause", "the run is ending");
      if (s.paused)
        return refusal("pause", "the run is already paused");
      pause_run(self, "request");
      return true;
    },
    [=](resume_atom) -> caf::result<bool> {
      auto& s = self->state;
      if (s.stopping)
        return refusal("resume", "the run is ending");
      if (!s.paused)
        return refusal("resume", "the run is not paused");
      resume_run(self, "request");
      return true;
    },
    [=](subscribe_atom) -> bool {
      // The recorder sends the subscriber every event it writes from now on, as
      // (event_atom, JSON text), until the subscriber or the run is gone.
      self->send(self->state.p.recorder, subscribe_atom::value,
                 caf::actor_cast<caf::actor>(self->current_sender()));
      return true;
    },
    [=](policy_atom, const std::string& name) -> caf::result<void> {
      return caf::make_error(caf::sec::runtime_error,
                             "policy: the policy of a run cannot change while it runs (it is \"" +
                               self->state.p.policy_name +
                               "\"); let this run end, then start "
                               "another with policy.name = \"" +
                               name + "\"");
    },
    [=](batch_plan_msg& plan) { apply_plan(self, plan); },
  };
}

caf::actor spawn_aggregator(caf::actor_system& sys, aggregator_params p) {
  return sys.spawn(aggregator_actor, std::move(p));
}

}  // namespace hetsgd
