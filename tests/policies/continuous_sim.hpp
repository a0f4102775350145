#pragma once
/// A deterministic discrete-event simulation of worker_mode::continuous (ABS-SGD) on the least
/// squares problem, driving a round policy through the fake aggregator (which checks the
/// apply-or-drop-exactly-once contract). It models the workers as the runtime does:
/// - a worker computes micro-batches of `micro_batch` samples back to back, each taking
///   `micro_batch_s` seconds, at its current weights, accumulating A (gradient sum) and n;
/// - when a decision holds request_upload for it, it finishes the micro-batch in flight (they are
///   atomic) and then hands over (A, n, version of its current weights): the arrival happens at
///   the end of that micro-batch. It resets its accumulator and keeps computing;
/// - a release carries the global weights and version of the moment; the worker stores it and
///   adopts it only at its NEXT hand-over (right after handing over);
/// - a worker with micro_batch_s = 0 computes nothing: asked, it hands over (0, 0) at once.
/// Decisions are carried out in the order drops, apply (version + 1), timer, releases, then
/// request_upload. The aggregator's update is w ← w − lr · Σ a_k A_k / Σ a_k n_k, skipped over
/// zero samples (as the runtime aggregator does).
/// Sample positions: worker w's k-th sample is shard w, entry k mod |shard|, so every computed
/// sample has an identity (w, k) and tests can check where each one went.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "event_queue.hpp"
#include "fake_aggregator.hpp"
#include "least_squares.hpp"

namespace hetsgd::test {

struct continuous_worker_spec {
  double micro_batch_s = 0.01;  ///< seconds per micro-batch; 0: the worker computes nothing
  std::size_t micro_batch = 4;  ///< samples per micro-batch
};

/// One hand-over, as the worker made it.
struct handover_record {
  worker_id worker = 0;
  std::size_t index = 0;  ///< 1 for the worker's first hand-over, 2 for its second, ...
  double at_s = 0.0;
  version_t version = 0;             ///< version of the weights its gradients were taken at
  version_t adopted_version = 0;     ///< version of the weights it continued with
  std::vector<std::size_t> samples;  ///< positions in the worker's sample stream
  vec gradient_sum;
};

/// One request_upload, i.e. the start of a synchronization.
struct sync_record {
  double at_s = 0.0;
  std::vector<worker_id> asked;
  bool with_close = false;  ///< carried by the decision that closed the previous round
};

class continuous_cluster {
 public:
  continuous_cluster(round_policy& policy, std::vector<std::vector<sample>> shards,
                     std::vector<continuous_worker_spec> specs, vec w0, double lr)
      : shards_(std::move(shards)), lr_(lr), agg_(policy, ids(specs.size())) {
    for (auto& s : specs) {
      worker wk;
      wk.spec = s;
      wk.w = w0;
      wk.acc.assign(w0.size(), 0.0);
      workers_.push_back(std::move(wk));
    }
    weights_.push_back(std::move(w0));
    agg_.on_close([this](const closed_round& r) { apply(r); });
  }
  continuous_cluster(const continuous_cluster&) = delete;
  continuous_cluster& operator=(const continuous_cluster&) = delete;

  /// on_start at time 0; every computing worker starts its first micro-batch on the weights it
  /// was released with.
  void start() {
    carry_out(agg_.start());
    for (worker_id i = 0; i < workers_.size(); ++i)
      if (workers_[i].spec.micro_batch_s > 0.0)
        schedule_micro_batch(i);
  }

  /// Runs every event up to and including clock time t_end (at most max_events, so a broken
  /// policy that loops at one instant fails a test instead of hanging it).
  void run_until(double t_end, std::size_t max_events = 1000000) {
    for (std::size_t e = 0; e < max_events && !q_.empty() && q_.next_time() <= t_end; ++e)
      q_.run_next();
  }

  fake_aggregator& agg() { return agg_; }
  const fake_aggregator& agg() const { return agg_; }
  double now() const { return q_.now(); }
  const vec& weights_at(version_t v) const { return weights_.at(v); }
  std::size_t workers() const { return workers_.size(); }

  const sample& sample_of(worker_id w, std::size_t pos) const {
    return shards_.at(w).at(pos % shards_.at(w).size());
  }
  std::vector<sample> samples_of(worker_id w, const std::vector<std::size_t>& pos) const {
    std::vector<sample> out;
    for (auto p : pos)
      out.push_back(sample_of(w, p));
    return out;
  }

  /// The hand-over that became contribution `id`.
  const handover_record& handover(contribution_id id) const { return handovers_.at(id); }
  const std::map<contribution_id, handover_record>& handovers() const { return handovers_; }
  const std::vector<sync_record>& syncs() const { return syncs_; }

  /// Samples worker w finished computing, and those sitting in its accumulator now.
  std::uint64_t computed(worker_id w) const { return workers_.at(w).next_sample; }
  const std::vector<std::size_t>& open_samples(worker_id w) const { return workers_.at(w).ids; }

  /// Anything the simulation saw that the continuous mode cannot carry out (e.g. a restart).
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  struct worker {
    continuous_worker_spec spec;
    vec w;                         ///< current weights
    version_t v = 0;               ///< their version
    vec acc;                       ///< A
    std::vector<std::size_t> ids;  ///< samples in A
    bool asked = false;
    bool has_release = false;
    vec release_w;
    version_t release_v = 0;
    std::size_t next_sample = 0;
    std::size_t handovers = 0;
  };

  static std::vector<worker_id> ids(std::size_t n) {
    std::vector<worker_id> v;
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<worker_id>(i));
    return v;
  }

  void schedule_micro_batch(worker_id i) {
    q_.at(q_.now() + workers_[i].spec.micro_batch_s, [this, i] { micro_batch_done(i); });
  }

  void micro_batch_done(worker_id i) {
    auto& wk = workers_[i];
    std::vector<std::size_t> pos;
    for (std::size_t k = 0; k < wk.spec.micro_batch; ++k)
      pos.push_back(wk.next_sample++);
    const vec g = gradient_sum(samples_of(i, pos), wk.w);  // at its current weights
    for (std::size_t k = 0; k < g.size(); ++k)
      wk.acc[k] += g[k];
    wk.ids.insert(wk.ids.end(), pos.begin(), pos.end());
    if (wk.asked)
      hand_over(i);
    schedule_micro_batch(i);
  }

  void hand_over(worker_id i) {
    auto& wk = workers_[i];
    handover_record h;
    h.worker = i;
    h.index = ++wk.handovers;
    h.at_s = q_.now();
    h.version = wk.v;
    h.samples = std::move(wk.ids);
    h.gradient_sum = wk.acc;
    const auto samples = static_cast<std::uint64_t>(h.samples.size());
    wk.ids.clear();
    wk.acc.assign(wk.acc.size(), 0.0);
    wk.asked = false;
    // Adopt the release stored before this hand-over (the reply to this one comes later).
    if (wk.has_release) {
      wk.w = wk.release_w;
      wk.v = wk.release_v;
      wk.has_release = false;
    }
    h.adopted_version = wk.v;
    const version_t computed_on = h.version;
    handovers_[agg_.next_id()] = std::move(h);
    agg_.set_time(q_.now());
    carry_out(agg_.push_on(i, computed_on, samples));
  }

  void fire_timer() {
    agg_.set_time(q_.now());
    carry_out(agg_.fire_timer());
  }

  void carry_out(const round_decision& d) {
    // Drops and the apply were carried out by the fake aggregator (the close hook updated the
    // weights); then the timer, releases and finally upload requests.
    if (d.has_timer())
      q_.at(d.wake_at_s, [this] { fire_timer(); });
    if (!d.restart.empty())
      problems_.push_back("a decision restarted workers in continuous mode");
    if (d.close && d.lr_scale != 1.0)
      problems_.push_back("continuous_cluster does not model lr_scale");
    for (auto w : d.release) {
      auto& wk = workers_.at(w);
      wk.has_release = true;
      wk.release_w = weights_.back();
      wk.release_v = agg_.version();
    }
    if (!d.request_upload.empty())
      syncs_.push_back({q_.now(), sorted(d.request_upload), d.close});
    for (auto w : d.request_upload) {
      auto& wk = workers_.at(w);
      wk.asked = true;
      if (wk.spec.micro_batch_s <= 0.0)  // nothing in flight: hands over (0, 0) at once
        q_.at(q_.now(), [this, w] {
          if (workers_[w].asked)
            hand_over(w);
        });
    }
  }

  void apply(const closed_round& r) {
    if (r.combine != combine_rule::sample_weighted_mean)
      problems_.push_back("continuous_cluster models sample_weighted_mean only");
    weights_.push_back(sample_weighted_step(
      weights_.back(), r, lr_,
      [this](contribution_id id) -> const vec& { return handovers_.at(id).gradient_sum; }));
  }

  std::vector<std::vector<sample>> shards_;
  double lr_;
  fake_aggregator agg_;
  event_queue q_;
  std::vector<worker> workers_;
  std::vector<vec> weights_;
  std::map<contribution_id, handover_record> handovers_;
  std::vector<sync_record> syncs_;
  std::vector<std::string> problems_;
};

}  // namespace hetsgd::test
