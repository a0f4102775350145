#include "actors/worker_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"
#include "actors/spawn_on_thread.hpp"
#include "actors/thread_cpu_wait.hpp"
#include "actors/worker_link.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/flat_math.hpp"
#include "gpu/flat_parameters.hpp"
#include "gpu/flat_sgd.hpp"
#include "gpu/gradient_step.hpp"
#include "gpu/local_compensation.hpp"
#include "gpu/models.hpp"
#include "gpu/shard_sampler.hpp"
#include "gpu/tensor_checks.hpp"
#include "gpu/torch_threads.hpp"

namespace hetsgd {

/// On the link to the aggregator: push `seq`, or a probe for it.
struct outbound {
  bool probe = false;
  std::uint64_t seq = 0;
};

/// On the link from the aggregator.
struct inbound {
  enum kind_t { answer, job, upload_request } kind = answer;
  job_msg msg;            ///< answer, job
  version_t version = 0;  ///< upload_request
};

struct worker_state {
  worker_params p;
  model_handle model;
  std::unique_ptr<shard_sampler> sampler;

  // The job in progress.
  worker_mode mode = worker_mode::push_and_wait;
  bool active = false;
  std::uint64_t job_seq = 0;   ///< tags self-messages so a replaced job ignores stale ones
  version_t version = 0;       ///< version the current work is tagged with
  std::int64_t remaining = 0;  ///< samples still to compute in this job
  std::uint64_t job_samples = 0;
  double job_compute_s = 0.0;
  double job_busy_s = 0.0;  ///< compute plus emulated slowness (what DBS measures)
  double job_loss_sum = 0.0;
  double share_begin = 0.0;
  double share_end = 0.0;
  bool pacing = false;  ///< a delayed compute message (emulated slowness) is pending
  // Local-steps mode (local_steps_total > 0): SGD steps on the replica between uploads.
  std::int64_t job_batch = 0;  ///< samples per local step
  std::uint64_t local_steps_total = 0;
  std::uint64_t local_steps_done = 0;
  double local_lr = 0.0;
  std::uint64_t samples_at_step_start = 0;  ///< job_samples when the current step began
  bool upload_requested = false;            ///< the aggregator asked for the model/accumulator
  bool upload_delta = false;                ///< upload w − w_start instead of w
  at::Tensor job_weights;                   ///< the weights the job started from (immutable)
  // Continuous mode: the released weights, adopted at the next hand-over.
  std::optional<job_msg> stash;
  // Delayed-local mode after warm-up.
  bool delayed = false;
  std::optional<job_msg> latest_global;  ///< newest global weights received
  at::Tensor last_gradient;              ///< gradient sum of the last push
  std::uint64_t last_samples = 0;
  bool awaiting_base = false;  ///< pushed; waiting for W^version to continue
  double dc_lambda = 0.0;      ///< delay compensation λ of the local step

  double busy_since_s = -1.0;  ///< start of the compute span in progress (< 0: none; trace)
  // Waiting for the aggregator since this clock time (< 0: not waiting).
  double waiting_since_s = -1.0;
  double runqueue_wait_at_push_s = -1.0;  ///< thread_runqueue_wait_s() when the wait began

  worker_stats_msg stats;
  bool stopped = false;
  // Injected faults.
  double slowdown = 1.0;     ///< factor on the emulated time of every micro-batch
  double disturbance = 1.0;  ///< factor of a disturbance fault, on top of a slowdown
  bool paused = false;       ///< frozen: computes nothing, pushes nothing until resumed
  double paused_at_s = 0.0;  ///< when the current pause began
  // The run paused by its program (pause_atom): hold at the next micro-batch, and the deadline of
  // a push waits, since the aggregator cannot close a round while everyone holds.
  bool held = false;
  double held_at_s = 0.0;  ///< when the current hold began
  bool poisoned = false;   ///< pushes NaN payloads
  // The link to the aggregator (link faults), and the pushes not answered yet, by seq.
  std::unique_ptr<worker_link> link;
  std::uint64_t push_seq = 0;
  std::map<std::uint64_t, contribution_msg> unacked;
  /// Per unanswered push: seconds until its next probe. Doubles while the aggregator says the
  /// answer is pending or on its way (a slow link's queue), so probes never flood the link.
  std::map<std::uint64_t, double> probe_wait_s;
  // Messages on the link, in the order they were sent: each delivery timer delivers the oldest,
  // so the link never reorders even when two timers fire at the same instant.
  std::deque<outbound> outbox;  ///< to the aggregator
  std::deque<inbound> inbox;    ///< from the aggregator
  /// Simulated clock: how long each micro-batch takes in virtual time (unset with the real
  /// clock, where it is measured).
  std::optional<step_time_model> sim;
  /// cluster.transport = "gloo": the last payload, kept for the round's all-reduce, and this
  /// worker's side of the round groups.
  at::Tensor round_payload;
  std::unique_ptr<round_group_member> group;
  /// Replicated optimizer (gradient rounds over an all-reduce): the sum of the last round this
  /// worker took part in, its own copy of the weights and the optimizer that steps them exactly
  /// as the aggregator's does (jobs with apply_sum).
  at::Tensor reduced_sum;
  at::Tensor replica_weights;
  std::unique_ptr<flat_sgd> replica_optimizer;
  /// The job in progress started on the replica's own step of the last round, before the
  /// release came (reduce_request_msg::step): unconfirmed, it is not pushed until the release
  /// says the same job on the same weights (confirm_early_job).
  bool early = false;
  bool early_done = false;  ///< that job is computed and waits for the release to push

  static inline const char* name = "hetsgd.worker";
};

namespace {

using self_ptr = caf::stateful_actor<worker_state>*;

void fail(self_ptr self, const std::string& what) {
  auto& st = self->state;
  self->send(st.p.aggregator, worker_failure_msg{st.p.id, what});
  self->quit(
    caf::make_error(caf::sec::runtime_error, "worker " + std::to_string(st.p.id) + ": " + what));
}

void on_job(self_ptr self, job_msg& j);
void on_reply(self_ptr self, job_msg& j);
void deliver_down(self_ptr self);
void transmit(self_ptr self, std::uint64_t seq);
void deliver_push(self_ptr self, std::uint64_t seq);
void receive_answer(self_ptr self, job_msg& j);
void ask_about(self_ptr self, std::uint64_t seq);
void on_upload_request(self_ptr self, version_t version);

/// Hands a message to the aggregator-bound side of the link: at once when nothing is queued and
/// the link adds no time, else after `after_s`, behind everything sent before it.
void send_up(self_ptr self, outbound m, double after_s) {
  auto& st = self->state;
  if (st.outbox.empty() && after_s <= 0.0) {
    if (m.probe)
      ask_about(self, m.seq);
    else
      deliver_push(self, m.seq);
    return;
  }
  st.outbox.push_back(m);
  self->delayed_send(self, to_duration(after_s), link_atom::value, true);
}

/// The same for messages from the aggregator: delivered to the worker in the order sent.
void send_down(self_ptr self, inbound m, double after_s) {
  auto& st = self->state;
  if (st.inbox.empty() && after_s <= 0.0) {
    st.inbox.push_back(std::move(m));
    deliver_down(self);
    return;
  }
  st.inbox.push_back(std::move(m));
  self->delayed_send(self, to_duration(after_s), link_atom::value, false);
}

/// A span of the worker's timeline (trace.json), when the run records one.
void trace_span(self_ptr self, const char* what, double begin_s, double end_s) {
  auto& st = self->state;
  if (st.p.recorder)
    self->send(st.p.recorder, span_atom::value, st.p.id, std::string(what), begin_s, end_s);
}

/// Ends the compute span in progress as `what` (compute, or discarded by a restart).
void end_compute_span(self_ptr self, const char* what) {
  auto& st = self->state;
  if (st.busy_since_s < 0.0)
    return;
  trace_span(self, what, st.busy_since_s, st.p.clock->now_s());
  st.busy_since_s = -1.0;
}

void start_waiting(self_ptr self) {
  auto& st = self->state;
  st.waiting_since_s = st.p.clock->now_s();
  // Core waits are a property of real threads; a simulated worker has none.
  st.runqueue_wait_at_push_s = st.sim ? -1.0 : thread_runqueue_wait_s();
}

/// Ends the wait for the aggregator in progress, if any: its time is idle.
void end_waiting(self_ptr self) {
  auto& st = self->state;
  if (st.waiting_since_s < 0.0)
    return;
  const double now = st.p.clock->now_s();
  st.stats.idle_s += now - st.waiting_since_s;
  trace_span(self, "idle", st.waiting_since_s, now);
  st.waiting_since_s = -1.0;
}

/// Books the arrival of a job: idle time, release latency, core wait.
void note_received(self_ptr self, const job_msg& j) {
  auto& st = self->state;
  double now = st.p.clock->now_s();
  end_waiting(self);
  st.stats.release_latency_s += std::max(0.0, now - j.sent_at_s);
  if (st.runqueue_wait_at_push_s >= 0.0) {
    // The thread slept until the job arrived, so any runqueue wait since the push happened
    // between the wake-up and running: waiting for a core, not for the message.
    double wait = thread_runqueue_wait_s();
    if (wait >= 0.0)
      st.stats.release_cpu_wait_s += std::max(0.0, wait - st.runqueue_wait_at_push_s);
    st.runqueue_wait_at_push_s = -1.0;
  }
}

/// Puts push `seq` on the link: it is lost, delivered after the link's delay, or at once. A
/// lost push is found by the probe (arm_probe) and sent again.
void transmit(self_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  auto it = st.unacked.find(seq);
  if (it == st.unacked.end())
    return;
  const auto& v = it->second.payload.value;
  const auto bytes = static_cast<std::uint64_t>(v.defined() ? v.nbytes() : 0);
  auto t = st.link->send(st.p.clock->now_s(), bytes, link_direction::to_aggregator, true);
  if (st.link->ever_lossy())
    self->delayed_send(self, to_duration(st.p.link_probe_s + t.after_s), probe_atom::value, seq);
  if (t.lost) {
    st.stats.messages_lost += 1;
    return;
  }
  const double now = st.p.clock->now_s();
  trace_span(self, "push", now, now + t.after_s);
  send_up(self, outbound{false, seq}, t.after_s);
}

/// Push `seq` reaches the aggregator; its answer comes back over the link (receive_answer).
void deliver_push(self_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  auto it = st.unacked.find(seq);
  if (it == st.unacked.end() || st.stopped)
    return;
  // On the real clock the deadline is the worker's own timer (push_deadline), not the
  // request's, so that it can wait while the run is paused. The simulated clock cannot pause,
  // and keeps the request's own deadline (and its timeline as it was).
  const bool own_deadline = !st.p.clock->simulated();
  const auto timeout = own_deadline ? caf::duration{caf::infinite}
                                    : caf::duration{to_duration(st.p.request_timeout_s)};
  self->request(st.p.aggregator, timeout, it->second)
    .then([=](job_msg& j) { receive_answer(self, j); },
          [=](caf::error& err) {
            auto& s = self->state;
            if (s.stopped || s.unacked.count(seq) == 0)
              return;  // answered another way (a probe) meanwhile
            fail(self, "no reply to push " + std::to_string(seq) + " within " +
                         std::to_string(s.p.request_timeout_s) +
                         " s: " + self->system().render(err));
          });
  if (own_deadline)
    self->delayed_send(self, to_duration(st.p.request_timeout_s), deadline_atom::value, seq);
}

/// The deadline of push `seq` passed: unanswered, it fails the worker, unless the run is paused
/// (checked again request_timeout_s after the resume).
void push_deadline(self_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  if (st.stopped || st.held || st.unacked.count(seq) == 0)
    return;
  fail(self, "no reply to push " + std::to_string(seq) + " within " +
               std::to_string(st.p.request_timeout_s) + " s");
}

/// An answer to a push crosses the link back: lost (the probe will fetch it again), delayed,
/// or handled at once. A stop is never lost: the run's end rides the reliable channel.
void receive_answer(self_ptr self, job_msg& j) {
  auto& st = self->state;
  const auto bytes =
    static_cast<std::uint64_t>(j.weights.value.defined() ? j.weights.value.nbytes() : 0);
  auto t = st.link->send(st.p.clock->now_s(), bytes, link_direction::to_worker, !j.stop);
  if (t.lost) {
    st.stats.messages_lost += 1;
    return;
  }
  const double now = st.p.clock->now_s();
  trace_span(self, "answer", now, now + t.after_s);
  inbound in;
  in.kind = inbound::answer;
  in.msg = std::move(j);
  send_down(self, std::move(in), t.after_s);
}

/// Asks the aggregator about push `seq`, whose answer has not come, and acts on what it knows.
void ask_about(self_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  if (st.stopped || st.unacked.count(seq) == 0)
    return;
  self
    ->request(st.p.aggregator, to_duration(st.p.request_timeout_s), probe_atom::value, st.p.id, seq)
    .then(
      [=](probe_reply_msg& r) {
        auto& s = self->state;
        if (s.stopped || s.unacked.count(seq) == 0)
          return;
        switch (static_cast<probe_status>(r.status)) {
          case probe_status::missing:
            s.stats.retransmits += 1;
            transmit(self, seq);  // arms the next probe
            return;
          case probe_status::answered: receive_answer(self, r.job); break;
          case probe_status::pending: break;
        }
        auto& wait = s.probe_wait_s[seq];
        wait = std::min(2.0 * std::max(wait, s.p.link_probe_s), s.p.request_timeout_s / 4.0);
        self->delayed_send(self, to_duration(wait), probe_atom::value, seq);
      },
      [=](caf::error& err) {
        if (!self->state.stopped)
          fail(self, "probe for push " + std::to_string(seq) +
                       " not answered: " + self->system().render(err));
      });
}

/// The probe timer of push `seq` fired: if it is still unanswered, the probe (a small control
/// message: delayed by the link, never lost) goes out.
void probe(self_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  if (st.stopped || st.unacked.count(seq) == 0)
    return;
  auto t = st.link->send(st.p.clock->now_s(), 0, link_direction::to_aggregator, false);
  send_up(self, outbound{true, seq}, t.after_s);
}

/// A flat tensor in host memory, where payloads travel and the aggregator's weights arrive (no
/// copy when the replica computes on the CPU).
at::Tensor on_host(const at::Tensor& t) {
  return t.device().is_cpu() ? t : t.to(at::kCPU);
}

/// Sends what the job accumulated to the aggregator and resets the accumulators. The reply
/// (the next job, or new weights) goes to on_reply. Returns the payload.
at::Tensor push(self_ptr self) {
  auto& st = self->state;
  contribution_msg c;
  c.worker = st.p.id;
  c.version = st.version;
  c.samples = st.job_samples;
  c.compute_s = st.job_compute_s;
  c.loss_sum = st.job_loss_sum;
  c.busy_s = st.job_busy_s;
  c.local_steps = st.local_steps_done;
  if (st.local_steps_total > 0) {
    // Local-steps mode uploads the model, or its change since the job started.
    c.payload.value = on_host(flatten_parameters(*st.model));
    if (st.upload_delta)
      add_scaled(c.payload.value, st.job_weights, -1.0);
  } else {
    c.payload.value = on_host(flatten_gradients(*st.model));
  }
  if (st.poisoned)
    c.payload.value.fill_(std::numeric_limits<float>::quiet_NaN());  // a `nan` fault
  if (st.group) {
    // The payload stays here until the aggregator closes the round and asks for the sum.
    st.round_payload = c.payload.value;
    c.payload.value = at::Tensor();
    c.in_collective = true;
  }
  if (st.p.counters)
    st.p.counters->samples_pushed += st.job_samples;
  c.sent_at_s = st.p.clock->now_s();
  end_compute_span(self, "compute");
  zero_gradients(*st.model);
  self->send(st.p.batch_controller, throughput_msg{st.p.id, st.job_samples, st.job_busy_s});
  st.job_samples = 0;
  st.job_compute_s = 0.0;
  st.job_busy_s = 0.0;
  st.job_loss_sum = 0.0;
  auto payload = c.payload.value;
  c.seq = ++st.push_seq;
  st.stats.samples_pushed += c.samples;
  const auto seq = c.seq;
  st.unacked.emplace(seq, std::move(c));
  transmit(self, seq);
  return payload;
}

void schedule_compute(self_ptr self, double delay_s) {
  auto& st = self->state;
  if (delay_s > 0.0) {
    st.pacing = true;
    self->delayed_send(self, to_duration(delay_s), compute_atom::value, st.job_seq);
  } else {
    self->send(self, compute_atom::value, st.job_seq);
  }
}

/// Replicated optimizer: takes the step of job `j` (apply_sum) on this worker's replica from
/// the round's sum it took part in, and turns `j` into a job carrying the resulting weights.
/// False when it cannot: it did not take part in the sum (its all-reduce failed), it is not at
/// the version before, or its step does not hash to the aggregator's weights.
bool take_replica_step(self_ptr self, job_msg& j) {
  auto& st = self->state;
  const auto sum = std::exchange(st.reduced_sum, at::Tensor());  // one step per sum
  if (!st.replica_optimizer || !st.replica_weights.defined() || !sum.defined() ||
      sum.numel() != st.replica_weights.numel() || j.version != st.version + 1)
    return false;
  st.replica_optimizer->set_lr(j.apply_lr);
  st.replica_optimizer->step_scaled(st.replica_weights, sum, j.apply_scale);
  if (bit_hash(st.replica_weights) != j.apply_hash)
    return false;
  j.weights.value = st.replica_weights;
  j.apply_sum = false;
  return true;
}

/// Loads a job's weights and data share; resets the per-job counters.
void load_job(self_ptr self, const job_msg& j) {
  auto& st = self->state;
  load_flat_parameters(*st.model, j.weights.value);
  st.job_weights = j.weights.value;
  st.reduced_sum = at::Tensor();
  if (j.replica) {
    // Weights in full for the replica (one process: shared with the aggregator, so a copy).
    st.replica_weights = j.weights.value.clone();
    if (!st.replica_optimizer)
      st.replica_optimizer = std::make_unique<flat_sgd>(0.0, st.p.momentum, st.p.weight_decay);
    st.replica_optimizer->set_momentum_buffer(j.momentum.value.defined() ? j.momentum.value.clone()
                                                                         : at::Tensor());
  }
  if (j.share_begin != st.share_begin || j.share_end != st.share_end) {
    auto n = st.p.data->train.size();
    st.sampler->set_share(static_cast<std::int64_t>(std::llround(j.share_begin * n)),
                          static_cast<std::int64_t>(std::llround(j.share_end * n)));
    st.share_begin = j.share_begin;
    st.share_end = j.share_end;
  }
  st.version = j.version;
}

/// Continuous mode: hands the accumulator over and adopts the weights released since the last
/// hand-over, without stopping the computation.
void hand_over(self_ptr self) {
  auto& st = self->state;
  st.upload_requested = false;
  push(self);
  if (st.stash) {
    auto next = std::move(*st.stash);
    st.stash.reset();
    load_job(self, next);
  }
}

/// Delayed-local mode: continue from W^version minus the worker's own latest step, once the
/// global weights of that version are here; until then, wait.
void advance_delayed(self_ptr self) {
  auto& st = self->state;
  if (!st.latest_global || st.latest_global->version < st.version) {
    st.awaiting_base = true;
    st.active = false;
    start_waiting(self);
    return;
  }
  st.awaiting_base = false;
  auto base = *st.latest_global;
  const version_t next_tag = st.version + 1;
  // w̃ = W − (η_l / N) · g / n: a fresh copy of the global weights plus the worker's own step,
  // never chained on the previous w̃ (optionally delay-compensated against the weights g was
  // computed at).
  auto weights_then = st.dc_lambda != 0.0 ? on_host(flatten_parameters(*st.model)) : at::Tensor();
  load_job(self, base);
  load_flat_parameters(*st.model,
                       local_compensated_weights(base.weights.value, st.last_gradient,
                                                 static_cast<double>(st.last_samples), st.local_lr,
                                                 weights_then, st.dc_lambda));
  st.version = next_tag;
  st.remaining = st.job_batch;
  st.active = true;
  st.stats.jobs += 1;
  ++st.job_seq;
  schedule_compute(self, 0.0);
}

/// The job's samples are done: push them and go on as the mode says.
void finish_job(self_ptr self) {
  auto& st = self->state;
  const auto samples = st.job_samples;
  auto payload = push(self);
  if (st.mode == worker_mode::delayed_local && st.delayed) {
    st.last_gradient = payload;
    st.last_samples = samples;
    advance_delayed(self);
    return;
  }
  st.active = false;
  start_waiting(self);
}

/// Seconds to stay busy after a micro-batch of n samples that took dt seconds to compute.
double emulated_slowness(const worker_params& p, std::int64_t n, double dt) {
  if (p.base_rate > 0.0)
    return std::max(0.0, static_cast<double>(n) / (p.speed * p.base_rate) - dt);
  return (1.0 / p.speed - 1.0) * dt;
}

/// Computes one micro-batch, then schedules the next step after the emulated slowness.
void step(self_ptr self) {
  auto& st = self->state;
  st.pacing = false;
  if (st.paused || st.held)
    return;  // resumed by the fault's end or the run's resume, which schedule the next step
  if (st.mode == worker_mode::continuous && st.upload_requested)
    hand_over(self);  // the request came while the last micro-batch was still (emulated) busy
  if (st.remaining <= 0 && st.local_steps_total > 0) {
    // Local-steps mode: one local SGD step on the batch just computed, then the next batch,
    // until the job's steps are done. The step uses the mean over the step's own samples.
    auto step_samples = st.job_samples - st.samples_at_step_start;
    if (step_samples > 0)
      apply_local_sgd_step(*st.model, st.local_lr / static_cast<double>(step_samples));
    zero_gradients(*st.model);
    st.local_steps_done += 1;
    st.samples_at_step_start = st.job_samples;
    // Keep stepping until the job's steps are done, or, when the policy decides the upload
    // time, until it asked (the step in progress is finished first).
    const bool more = st.local_steps_total == until_upload_requested
                        ? !st.upload_requested
                        : st.local_steps_done < st.local_steps_total;
    if (more)
      st.remaining = st.job_batch;
  }
  if (st.remaining <= 0 && st.mode != worker_mode::continuous) {
    if (st.early) {
      // Computed before its release: pushed once the release confirms it.
      st.early_done = true;
      end_compute_span(self, "compute");
      start_waiting(self);
      return;
    }
    finish_job(self);
    return;
  }
  auto n = st.mode == worker_mode::continuous
             ? st.p.micro_batch
             : std::min<std::int64_t>(st.p.micro_batch, st.remaining);
  auto idx = st.sampler->next(n);
  if (st.busy_since_s < 0.0)
    st.busy_since_s = st.p.clock->now_s();
  auto t0 = std::chrono::steady_clock::now();
  auto r = accumulate_gradients(*st.model, st.p.data->train, idx);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double slow = 0.0;
  if (st.sim) {
    // Simulated clock: the micro-batch takes its modelled time (faults and noise included), all
    // of it compute; the wall time the real computation took does not exist in virtual time.
    dt = st.sim->seconds(n, st.slowdown * st.disturbance);
  } else {
    // A slowdown fault stretches the whole micro-batch (compute plus emulated slowness).
    slow = (dt + emulated_slowness(st.p, n, dt)) * st.slowdown * st.disturbance - dt;
  }
  st.remaining -= n;
  st.job_samples += static_cast<std::uint64_t>(n);
  st.job_compute_s += dt;
  st.job_busy_s += dt + slow;
  st.job_loss_sum += r.loss_sum;
  st.stats.samples_computed += static_cast<std::uint64_t>(n);
  if (st.p.counters)
    st.p.counters->samples_computed += static_cast<std::uint64_t>(n);
  st.stats.micro_batches += 1;
  st.stats.compute_s += dt;
  st.stats.stretch_s += slow;
  // The next step comes when this micro-batch is done: with the real clock the compute already
  // took its time and only the emulated slowness is left; in virtual time all of it is.
  schedule_compute(self, st.sim ? dt : slow);
}

/// The replica could not take its step: asks the aggregator for the weights and momentum in
/// full, then goes on with job `j` on them.
void resync(self_ptr self, job_msg j) {
  auto& st = self->state;
  std::cerr << "hetsgd: worker " << st.p.id << ": its replica cannot take the step to version "
            << j.version << "; asking for the weights\n";
  self->request(st.p.aggregator, to_duration(st.p.request_timeout_s), resync_atom::value, st.p.id)
    .then(
      [=](job_msg& full) mutable {
        j.version = full.version;
        j.weights = std::move(full.weights);
        j.momentum = std::move(full.momentum);
        j.replica = full.replica;
        j.apply_sum = false;
        on_job(self, j);
      },
      [=](caf::error& err) {
        fail(self, "its replica could not step and the aggregator did not send the weights: " +
                     self->system().render(err));
      });
}

/// The job in progress is thrown away (a restart, or an early job the release did not
/// confirm): its samples stay counted as computed and are reported as discarded, which the
/// aggregator books as dropped (restarted). Its partial gradient must not leak into the next
/// push.
void discard_job(self_ptr self) {
  auto& st = self->state;
  st.stats.samples_discarded += st.job_samples;
  if (st.p.counters)
    st.p.counters->samples_discarded += st.job_samples;
  end_compute_span(self, "discarded");
  zero_gradients(*st.model);
  st.job_samples = 0;
  st.job_compute_s = 0.0;
  st.job_busy_s = 0.0;
  st.job_loss_sum = 0.0;
}

/// The release of an early job (the answer to the push before it) is in. It confirms the job
/// when it is the same job (batch, share, mode) on the same weights: the step to its version,
/// and a hash equal to the replica's. Then the job goes on (and is pushed if already done);
/// true. Otherwise the early job is discarded and `j` is made a job on_job can take as usual
/// (the replica's step is used when its hash is right, else the weights are fetched); false,
/// or true when a resync takes over.
bool confirm_early_job(self_ptr self, job_msg& j) {
  auto& st = self->state;
  st.early = false;
  const bool stepped =
    j.apply_sum && j.version == st.version && bit_hash(st.replica_weights) == j.apply_hash;
  const bool same_job = stepped && !j.restart && j.batch == st.job_batch &&
                        j.share_begin == st.share_begin && j.share_end == st.share_end &&
                        static_cast<worker_mode>(j.mode) == st.mode && j.local_steps == 0;
  if (same_job) {
    note_received(self, j);
    if (std::exchange(st.early_done, false))
      finish_job(self);
    return true;
  }
  discard_job(self);
  st.active = false;
  st.early_done = false;
  if (!j.apply_sum)
    return false;  // weights in full: on_job loads them
  if (!stepped) {
    resync(self, std::move(j));
    return true;
  }
  j.weights.value = st.replica_weights;  // the step it took is the one released
  j.apply_sum = false;
  return false;
}

/// The round's all-reduce gave this replica the sum (reduce_for_round): when the aggregator
/// said which step it takes on it, the replica takes it now and starts its next job on the
/// result, with the batch and share of the last one, instead of waiting for the release (the
/// round trip to the aggregator and its own step). Only a push-and-wait worker idle at the
/// version the step starts from.
void start_early_job(self_ptr self, const reduce_request_msg& r) {
  auto& st = self->state;
  if (!r.step || st.active || st.stopped || st.early || st.mode != worker_mode::push_and_wait ||
      st.local_steps_total > 0 || !st.replica_optimizer || !st.replica_weights.defined() ||
      !st.reduced_sum.defined() || st.reduced_sum.numel() != st.replica_weights.numel() ||
      st.version != r.from_version || st.job_batch < 1 || !all_finite(st.reduced_sum))
    return;
  const auto sum = std::exchange(st.reduced_sum, at::Tensor());
  st.replica_optimizer->set_lr(r.apply_lr);
  st.replica_optimizer->step_scaled(st.replica_weights, sum, r.apply_scale);
  end_waiting(self);
  load_flat_parameters(*st.model, st.replica_weights);
  st.job_weights = st.replica_weights;
  st.version = r.from_version + 1;
  st.remaining = st.job_batch;
  st.early = true;
  st.early_done = false;
  st.active = true;
  st.stats.jobs += 1;
  st.stats.early_jobs += 1;
  ++st.job_seq;
  schedule_compute(self, 0.0);
}

/// A job from the aggregator that is not a reply to a push (a restart, or a release of a worker
/// that had nothing pending), or a reply that starts the next job.
void on_job(self_ptr self, job_msg& j) {
  auto& st = self->state;
  if (st.early && !j.stop && confirm_early_job(self, j))
    return;
  if (j.apply_sum && !j.stop) {
    if (j.momentum.value.defined() || j.weights.value.defined())
      return fail(self, "a job both carries weights and asks for the replica's step");
    if (!take_replica_step(self, j))
      return resync(self, std::move(j));
  }
  if (j.replica && j.momentum.value.defined() &&
      (!j.weights.value.defined() || j.momentum.value.numel() != j.weights.value.numel()))
    return fail(self, "a job's momentum has " + std::to_string(j.momentum.value.numel()) +
                        " elements, its weights " + std::to_string(j.weights.value.numel()));
  note_received(self, j);
  if (j.stop) {
    st.active = false;
    st.stopped = true;
    return;
  }
  if (st.active && !j.restart && j.version <= st.version) {
    // A release that crossed a restart: the worker pushed, then took the restart (sent while its
    // push was in flight) as its next job; the aggregator dropped the push as stale and answered
    // it with this job, which brings nothing newer than the job in progress. Keep computing.
    return;
  }
  if (st.active)  // replaced by a restart, or a release onto a newer version crossing one
    discard_job(self);
  if (j.batch < 1 && static_cast<worker_mode>(j.mode) != worker_mode::continuous)
    return fail(self, "received a job with batch " + std::to_string(j.batch));
  load_job(self, j);
  st.mode = static_cast<worker_mode>(j.mode);
  st.remaining = j.batch;
  st.job_batch = j.batch;
  st.local_steps_total = j.local_steps;
  st.local_steps_done = 0;
  st.local_lr = j.local_lr;
  st.upload_delta = j.upload_delta;
  st.samples_at_step_start = 0;
  st.upload_requested = false;
  st.delayed = j.delayed;
  st.dc_lambda = j.dc_lambda;
  st.stash.reset();
  if (st.mode == worker_mode::delayed_local)
    st.latest_global = j;
  st.active = true;
  st.stats.jobs += 1;
  ++st.job_seq;
  schedule_compute(self, 0.0);
}

/// The aggregator's answer to a push.
void on_reply(self_ptr self, job_msg& j) {
  auto& st = self->state;
  if (st.stopped)
    return;
  // Answers come in push order; this one settles its push and any before it. An answer sent
  // again after a probe, whose first copy made it after all, is a duplicate: ignored.
  if (j.answers > 0) {
    if (st.unacked.count(j.answers) == 0)
      return;
    st.unacked.erase(st.unacked.begin(), st.unacked.upper_bound(j.answers));
    st.probe_wait_s.erase(st.probe_wait_s.begin(), st.probe_wait_s.upper_bound(j.answers));
  }
  if (j.stop) {
    on_job(self, j);
    return;
  }
  if (st.mode == worker_mode::continuous && st.active && !j.restart) {
    // Weights after the reduction this push went into: adopted at the next hand-over, so the
    // current iteration is computed on one set of weights.
    note_received(self, j);
    st.stash = std::move(j);
    return;
  }
  if (st.mode == worker_mode::delayed_local && st.delayed && j.delayed && !j.restart) {
    note_received(self, j);
    if (!st.latest_global || j.version > st.latest_global->version)
      st.latest_global = std::move(j);
    if (st.awaiting_base)
      advance_delayed(self);
    return;
  }
  on_job(self, j);
}

/// A delivery timer of the aggregator-bound side fired: the oldest message arrives.
void deliver_up(self_ptr self) {
  auto& st = self->state;
  if (st.outbox.empty())
    return;
  auto m = st.outbox.front();
  st.outbox.pop_front();
  if (m.probe)
    ask_about(self, m.seq);
  else
    deliver_push(self, m.seq);
}

/// The oldest message from the aggregator arrives at the worker.
void deliver_down(self_ptr self) {
  auto& st = self->state;
  if (st.inbox.empty())
    return;
  auto m = std::move(st.inbox.front());
  st.inbox.pop_front();
  switch (m.kind) {
    case inbound::answer: on_reply(self, m.msg); break;
    case inbound::job: on_job(self, m.msg); break;
    case inbound::upload_request: on_upload_request(self, m.version); break;
  }
}

/// The aggregator asked for an upload at `version` (continuous mode: the hand-over; local steps
/// until asked: the model).
void on_upload_request(self_ptr self, version_t version) {
  auto& s = self->state;
  if (!s.active || s.stopped)
    return;
  if (s.mode == worker_mode::continuous) {
    // Finish the micro-batch in flight first: if its emulated time is still running (or the
    // worker is paused), the hand-over happens when it ends (step()).
    s.upload_requested = true;
    if (!s.pacing && !s.paused && !s.held)
      hand_over(self);
    return;
  }
  // Only a job on that version running until asked can answer; anything else is stale.
  if (s.version == version && s.local_steps_total == until_upload_requested)
    s.upload_requested = true;
}

/// The aggregator closed a round this worker's last push is in: sum the kept payload with the
/// other participants. A failure costs only this round (the aggregator drops it and says so).
void reduce_for_round(self_ptr self, const reduce_request_msg& r) {
  auto& st = self->state;
  if (!st.group)
    return;
  // No payload kept (it cannot happen in the policies this transport carries): zeros, so that
  // the others are not left waiting.
  auto payload = st.round_payload.defined()
                   ? st.round_payload
                   : at::zeros_like(on_host(flatten_parameters(*st.model)));
  st.round_payload = at::Tensor();
  if (r.weight != 1.0)
    payload.mul_(r.weight);  // the policy's a_k (e.g. WP-SGD's share of the work); ours alone
  st.reduced_sum = at::Tensor();
  try {
    st.group->all_reduce(r.group, r.rank, r.size, payload.data_ptr<float>(),
                         static_cast<std::size_t>(payload.numel()));
    st.reduced_sum = payload;  // every rank now holds the round's sum: a replica steps on it
  } catch (const collective_error& e) {
    std::cerr << "hetsgd: worker " << st.p.id << ": " << e.what() << "\n";
    return;
  }
  start_early_job(self, r);
}

caf::behavior worker_actor(self_ptr self, worker_params params) {
  auto& st = self->state;
  st.p = std::move(params);
  st.stats.worker = st.p.id;
  // Its own generator: the losses on one link do not depend on the other links' traffic.
  st.link = std::make_unique<worker_link>(st.p.seed * 1000003u + st.p.id + 1);
  st.link->set_network(st.p.link_latency_s, st.p.link_bandwidth);
  try {
    if (st.p.clock->simulated())
      st.sim.emplace(st.p.base_rate, st.p.speed, st.p.noise,
                     st.p.seed ^ (0x9e3779b97f4a7c15ULL * (st.p.id + 1)) ^
                       (0xbf58476d1ce4e5b9ULL * st.p.incarnation));
    pin_compute_threads_to_one();
    st.model = make_model(st.p.model_name, st.p.seed);
    if (st.p.device != "cpu")
      st.model->to(c10::Device(st.p.device));
    st.model->train();
    st.sampler = std::make_unique<shard_sampler>(st.p.data->train.size(), static_cast<int>(st.p.id),
                                                 st.p.workers, st.p.seed);
    auto n = static_cast<double>(st.p.data->train.size());
    // The sampler starts on the even split; remember it in the same units jobs use.
    st.share_begin = std::floor(n * st.p.id / st.p.workers) / n;
    st.share_end = std::floor(n * (st.p.id + 1) / st.p.workers) / n;
  } catch (const std::exception& e) {
    fail(self, std::string("setup failed: ") + e.what());
    return {};
  }
  if (!st.p.collective.backend.empty())
    st.group = std::make_unique<round_group_member>(self->system(), st.p.collective);
  start_waiting(self);
  self->request(st.p.aggregator, to_duration(st.p.request_timeout_s), join_atom::value, st.p.id)
    .then([=](job_msg& j) { on_job(self, j); },
          [=](caf::error& err) {
            fail(self, "join was not answered within " +
                         std::to_string(self->state.p.request_timeout_s) +
                         " s: " + self->system().render(err));
          });
  auto guarded = [=](auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      fail(self, e.what());
    }
  };
  return {
    [=](job_msg& j) {
      // Not an answer to a push (a restart, or a release): a control message, delayed by the
      // link but never lost.
      auto& s = self->state;
      const auto bytes =
        static_cast<std::uint64_t>(j.weights.value.defined() ? j.weights.value.nbytes() : 0);
      auto t = s.link->send(s.p.clock->now_s(), bytes, link_direction::to_worker, false);
      inbound in;
      in.kind = inbound::job;
      in.msg = std::move(j);
      guarded([&] { send_down(self, std::move(in), t.after_s); });
    },
    [=](upload_atom, version_t version) {
      // The aggregator's request crosses the link (delayed, never lost) before it is acted on.
      auto& s = self->state;
      auto t = s.link->send(s.p.clock->now_s(), 0, link_direction::to_worker, false);
      inbound in;
      in.kind = inbound::upload_request;
      in.version = version;
      guarded([&] { send_down(self, std::move(in), t.after_s); });
    },
    [=](link_atom, bool up) { guarded([&] { up ? deliver_up(self) : deliver_down(self); }); },
    [=](const reduce_request_msg& r) { guarded([&] { reduce_for_round(self, r); }); },
    [=](probe_atom, std::uint64_t seq) { guarded([&] { probe(self, seq); }); },
    [=](compute_atom, std::uint64_t seq) {
      auto& s = self->state;
      if (!s.active || seq != s.job_seq || s.stopped)
        return;
      guarded([&] { step(self); });
    },
    [=](fault_atom, const std::string& kind, double value, bool on) {
      auto& s = self->state;
      if (kind == "slowdown") {
        s.slowdown = on ? value : 1.0;
      } else if (kind == "disturbance") {
        s.disturbance = on ? value : 1.0;
      } else if (kind == "delay") {
        s.link->set_delay(on ? value : 0.0);  // seconds
      } else if (kind == "drop") {
        const bool was_lossy = s.link->ever_lossy();
        s.link->set_drop(on ? value : 0.0);  // probability per bulk message
        // The answers to pushes already sent can be lost from now on: probe for them too.
        if (!was_lossy && s.link->ever_lossy())
          for (auto& [seq, push] : s.unacked)
            self->delayed_send(self, to_duration(s.p.link_probe_s), probe_atom::value, seq);
      } else if (kind == "slow_link") {
        s.link->set_bandwidth(on ? value : 0.0);  // bytes/s
      } else if (kind == "nan") {
        s.poisoned = on;
      } else if (kind == "pause") {
        if (on && !s.paused) {
          s.paused = true;
          s.paused_at_s = s.p.clock->now_s();
        } else if (!on && s.paused) {
          s.paused = false;
          trace_span(self, "paused", s.paused_at_s, s.p.clock->now_s());
          if (s.active) {
            // A frozen device makes a long step: the straggler report and DBS see it.
            const double frozen = s.p.clock->now_s() - s.paused_at_s;
            s.job_busy_s += frozen;
            s.stats.stretch_s += frozen;
            if (!s.pacing && !s.held && !s.early_done) {
              ++s.job_seq;  // any compute message queued while paused is stale now
              schedule_compute(self, 0.0);
            }
          }
        }
      }
    },
    [=](deadline_atom, std::uint64_t seq) { guarded([&] { push_deadline(self, seq); }); },
    [=](pause_atom) {
      auto& s = self->state;
      if (s.held || s.stopped)
        return;
      s.held = true;
      s.held_at_s = s.p.clock->now_s();
    },
    [=](resume_atom) {
      auto& s = self->state;
      if (!s.held || s.stopped)
        return;
      s.held = false;
      trace_span(self, "held", s.held_at_s, s.p.clock->now_s());
      // Every push still unanswered gets its full deadline again from now.
      for (auto& [seq, push] : s.unacked)
        self->delayed_send(self, to_duration(s.p.request_timeout_s), deadline_atom::value, seq);
      if (s.active && !s.paused && !s.pacing && !s.early_done) {
        ++s.job_seq;  // a compute message queued before the hold is stale now
        guarded([&] { schedule_compute(self, 0.0); });
      }
    },
    [=](stop_atom) {
      auto& s = self->state;
      s.stopped = true;
      s.stats.samples_in_flight = s.job_samples;
      if (s.waiting_since_s >= 0.0) {
        s.stats.idle_s += s.p.clock->now_s() - s.waiting_since_s;
        trace_span(self, "idle", s.waiting_since_s, s.p.clock->now_s());
        s.waiting_since_s = -1.0;
      }
      end_compute_span(self, "compute");
      auto rp = self->make_response_promise();
      rp.deliver(s.stats);
      self->quit();
    },
  };
}

}  // namespace

caf::actor spawn_worker(caf::actor_system& sys, worker_params params) {
  return spawn_on_own_thread(sys, worker_actor, std::move(params));
}

}  // namespace hetsgd
