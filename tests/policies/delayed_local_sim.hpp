#pragma once
/// A deterministic discrete-event simulation of worker_mode::delayed_local (OD-SGD) on the least
/// squares problem, driving a round policy through the fake aggregator. It models the workers as
/// the runtime does (η_l and the warm-up length K come from the policy's traits):
/// - iteration t of worker i uses batch_of(i, t) and takes compute_s seconds at its local weights
///   w̃_t; it then pushes g_t (gradient sum) tagged t, which reaches the aggregator up_s later;
/// - a release reaches the worker down_s after the decision and answers its OLDEST outstanding
///   push; it carries the global weights and version of the moment;
/// - warm-up (t < K): after pushing g_t the worker waits for the reply to that push, W^{t+1}, and
///   computes iteration t + 1 at w̃ = W^{t+1} (plain ssgd);
/// - after warm-up (t >= K): it waits only for W^t (the reply to push t − 1; already there for
///   t = K), sets w̃_{t+1} = W^t − (η_l / N) · g_t / n_t and computes iteration t + 1 while round t
///   is still being reduced.
/// The aggregator's update is W ← W − lr · Σ a_k g_k / Σ a_k n_k (the arithmetic of
/// least_squares_cluster, so runs can be compared with it bit for bit).

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "event_queue.hpp"
#include "fake_aggregator.hpp"
#include "least_squares.hpp"

namespace hetsgd::test {

struct delayed_worker_spec {
  double compute_s = 1.0;  ///< seconds per iteration
  double up_s = 0.1;       ///< push transit time
  double down_s = 0.1;     ///< release transit time
  std::size_t batch = 4;   ///< samples per iteration
};

class delayed_local_cluster {
 public:
  delayed_local_cluster(round_policy& policy, std::vector<std::vector<sample>> shards,
                        std::vector<delayed_worker_spec> specs, vec w0, double lr)
      : shards_(std::move(shards)),
        lr_(lr),
        local_lr_(policy.traits().local_lr < 0.0 ? lr : policy.traits().local_lr),
        warmup_(policy.traits().warmup_rounds),
        agg_(policy, ids(specs.size())) {
    for (auto& s : specs) {
      worker wk;
      wk.spec = s;
      workers_.push_back(wk);
    }
    weights_.push_back(std::move(w0));
    agg_.on_close([this](const closed_round& r) { apply(r); });
  }
  delayed_local_cluster(const delayed_local_cluster&) = delete;
  delayed_local_cluster& operator=(const delayed_local_cluster&) = delete;

  void start() { carry_out(agg_.start()); }

  /// Runs events until the global model reached version v, nothing is left to do, or a bound on
  /// events or simulated time is hit (so a broken policy fails a test instead of hanging it).
  void run_until_version(version_t v, std::size_t max_events = 1000000, double max_s = 1e5) {
    for (std::size_t e = 0; agg_.version() < v && e < max_events; ++e) {
      if (q_.empty() || q_.next_time() > max_s || !q_.run_next())
        break;
      observe();
    }
  }

  /// Worker w's batch in iteration t: a window sliding over its shard.
  std::vector<sample> batch_of(worker_id w, std::uint64_t t) const {
    auto& shard = shards_.at(w);
    const std::size_t b = workers_.at(w).spec.batch;
    std::vector<sample> out;
    for (std::size_t k = 0; k < b; ++k)
      out.push_back(shard[(t * b + k) % shard.size()]);
    return out;
  }

  fake_aggregator& agg() { return agg_; }
  const vec& weights_at(version_t v) const { return weights_.at(v); }
  std::size_t workers() const { return workers_.size(); }

  /// Largest difference seen, at any event, between the iterations two workers were computing.
  std::uint64_t max_compute_gap() const { return max_gap_; }
  /// Pushes that reached the aggregator tagged one version ahead of it.
  std::size_t ahead_arrivals() const { return ahead_; }
  /// Iterations a worker began while a push of its own was still unanswered.
  std::size_t overlapped_iterations() const { return overlapped_; }
  /// Every arrival: (tag, aggregator version when it arrived).
  const std::vector<std::pair<version_t, version_t>>& arrivals() const { return arrivals_; }
  /// Anything the simulated workers could not make sense of (e.g. a release bringing the wrong
  /// version for the push it answers).
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  struct push_record {
    worker_id worker = 0;
    std::uint64_t tag = 0;
    vec g;
    std::uint64_t n = 0;
    contribution_id id = 0;  ///< 0 until it reached the aggregator
  };
  struct worker {
    delayed_worker_spec spec;
    bool started = false;
    bool computing = false;
    std::uint64_t t = 0;                  ///< iteration being computed, or the last one pushed
    vec local;                            ///< w̃
    std::deque<std::size_t> outstanding;  ///< pushes without a reply, oldest first
    bool pushed_any = false;
    std::size_t last_pushed = 0;  ///< index of its latest push
    vec global;                   ///< weights of the latest release
    version_t global_v = 0;
  };

  static std::vector<worker_id> ids(std::size_t n) {
    std::vector<worker_id> v;
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<worker_id>(i));
    return v;
  }

  void problem(const std::string& what) { problems_.push_back(what); }

  void begin_iteration(worker_id i, std::uint64_t t, vec local) {
    auto& wk = workers_[i];
    if (!wk.outstanding.empty())
      ++overlapped_;
    wk.t = t;
    wk.local = std::move(local);
    wk.computing = true;
    q_.at(q_.now() + wk.spec.compute_s, [this, i] { iteration_done(i); });
  }

  void iteration_done(worker_id i) {
    auto& wk = workers_[i];
    wk.computing = false;
    push_record p;
    p.worker = i;
    p.tag = wk.t;
    auto batch = batch_of(i, wk.t);
    p.g = gradient_sum(batch, wk.local);
    p.n = batch.size();
    pushes_.push_back(p);
    const std::size_t index = pushes_.size() - 1;
    wk.outstanding.push_back(index);
    wk.last_pushed = index;
    wk.pushed_any = true;
    q_.at(q_.now() + wk.spec.up_s, [this, index] { arrive(index); });
    try_continue(i);
  }

  /// A waiting worker starts its next iteration once it has the weights it needs.
  void try_continue(worker_id i) {
    auto& wk = workers_[i];
    if (wk.computing || !wk.pushed_any)
      return;
    const push_record& last = pushes_.at(wk.last_pushed);
    const std::uint64_t t = last.tag;
    if (t < warmup_) {
      if (!wk.outstanding.empty())
        return;  // ssgd: wait for the reply to this very push
      if (wk.global_v != t + 1)
        problem("warm-up: reply to push " + std::to_string(t) + " brought version " +
                std::to_string(wk.global_v));
      begin_iteration(i, t + 1, wk.global);
      return;
    }
    if (wk.outstanding.size() > 1)
      return;  // W^t (the reply to push t − 1) has not come yet
    if (wk.global_v != t)
      problem("delayed: worker " + std::to_string(i) + " continues from version " +
              std::to_string(wk.global_v) + " after push " + std::to_string(t));
    vec local = wk.global;
    const double step = local_lr_ / double(workers_.size());
    for (std::size_t k = 0; k < local.size(); ++k)
      local[k] -= step * last.g[k] / double(last.n);
    begin_iteration(i, t + 1, std::move(local));
  }

  void arrive(std::size_t index) {
    auto& p = pushes_[index];
    p.id = agg_.next_id();
    payload_of_[p.id] = index;
    arrivals_.emplace_back(p.tag, agg_.version());
    if (p.tag == agg_.version() + 1)
      ++ahead_;
    agg_.set_time(q_.now());
    carry_out(agg_.push_on(p.worker, p.tag, p.n));
  }

  void release_arrives(worker_id i, version_t v, vec weights) {
    auto& wk = workers_[i];
    wk.global = std::move(weights);
    wk.global_v = v;
    if (!wk.started) {  // the first job
      wk.started = true;
      begin_iteration(i, 0, wk.global);
      return;
    }
    if (wk.outstanding.empty()) {
      problem("worker " + std::to_string(i) + " got a release with no push outstanding");
      return;
    }
    const auto index = wk.outstanding.front();
    wk.outstanding.pop_front();
    const auto& p = pushes_[index];
    if (p.id != 0 && agg_.is_applied(p.id) && v != p.tag + 1)
      problem("the reply to push " + std::to_string(p.tag) + " of worker " + std::to_string(i) +
              " brought version " + std::to_string(v));
    try_continue(i);
  }

  void carry_out(const round_decision& d) {
    if (!d.restart.empty())
      problem("a decision restarted workers in delayed_local mode");
    for (auto w : d.release) {
      const version_t v = agg_.version();
      vec weights = weights_.back();
      q_.at(q_.now() + workers_.at(w).spec.down_s,
            [this, w, v, weights] { release_arrives(w, v, weights); });
    }
  }

  /// After every event: the iterations being computed differ by at most one.
  void observe() {
    bool any = false;
    std::uint64_t lo = 0, hi = 0;
    for (auto& wk : workers_)
      if (wk.computing) {
        lo = any ? std::min(lo, wk.t) : wk.t;
        hi = any ? std::max(hi, wk.t) : wk.t;
        any = true;
      }
    if (any)
      max_gap_ = std::max(max_gap_, hi - lo);
  }

  void apply(const closed_round& r) {
    weights_.push_back(sample_weighted_step(
      weights_.back(), r, lr_,
      [this](contribution_id id) -> const vec& { return pushes_.at(payload_of_.at(id)).g; }));
  }

  std::vector<std::vector<sample>> shards_;
  double lr_;
  double local_lr_;
  std::uint64_t warmup_;
  fake_aggregator agg_;
  event_queue q_;
  std::vector<worker> workers_;
  std::vector<vec> weights_;
  std::vector<push_record> pushes_;
  std::map<contribution_id, std::size_t> payload_of_;
  std::vector<std::pair<version_t, version_t>> arrivals_;
  std::size_t max_gap_ = 0;
  std::size_t ahead_ = 0;
  std::size_t overlapped_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace hetsgd::test
