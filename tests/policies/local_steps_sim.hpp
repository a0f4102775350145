#pragma once
/// A deterministic discrete-event simulation of worker_mode::local_steps with model-delta uploads
/// (ABS) on the least squares problem, driving a round policy through the fake aggregator. It
/// models the workers as the runtime does:
/// - a job on version v starts from the global weights of v and takes U local SGD steps
///   (U = traits().local_steps), step s on batch_of(i, j, s) for the worker's j-th job, with
///   w ← w − local_lr · g / n; it lasts job_s seconds, then the worker uploads Δ = w_U − w_0
///   (reaching the aggregator up_s later) and waits;
/// - a release or restart reaches the worker down_s after the decision and carries the version
///   of the moment. A restart always replaces the job in progress (its work is discarded); a
///   release is ignored while the worker computes a job on that version or a newer one, and
///   otherwise starts a new job (replacing one in progress).
/// The aggregator's update is the delta_sum rule x ← x + Σ a_k Δ_k. Each arrival is recorded
/// with what the aggregator knew just before it, so tests can check the decision against it.

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "event_queue.hpp"
#include "fake_aggregator.hpp"
#include "least_squares.hpp"

namespace hetsgd::test {

struct local_worker_spec {
  double job_s = 1.0;     ///< seconds per job (U local steps)
  double up_s = 0.1;      ///< upload transit time
  double down_s = 0.1;    ///< release / restart transit time
  std::size_t batch = 4;  ///< samples per local step
};

/// One upload reaching the aggregator, with the decision it caused.
struct upload_record {
  contribution_id id = 0;
  worker_id worker = 0;
  version_t version = 0;                       ///< the job's version
  version_t server_version = 0;                ///< aggregator's version when it arrived
  std::map<worker_id, version_t> jobs_before;  ///< last job version given to each live worker
  std::map<worker_id, version_t> jobs_after;
  std::set<worker_id> waiting_after;  ///< workers with an upload still pending after
  double probe = 0.0;                 ///< the test's probe of policy state, before
  round_decision decision;
};

class local_steps_cluster {
 public:
  local_steps_cluster(round_policy& policy, std::vector<std::vector<sample>> shards,
                      std::vector<local_worker_spec> specs, vec w0, double local_lr)
      : shards_(std::move(shards)),
        local_lr_(local_lr),
        steps_(policy.traits().local_steps),
        agg_(policy, ids(specs.size())) {
    for (auto& s : specs) {
      worker wk;
      wk.spec = s;
      workers_.push_back(wk);
    }
    weights_.push_back(std::move(w0));
    agg_.on_close([this](const closed_round& r) { apply(r); });
  }
  local_steps_cluster(const local_steps_cluster&) = delete;
  local_steps_cluster& operator=(const local_steps_cluster&) = delete;

  /// Called just before each arrival; its value is stored in the upload record.
  void set_probe(std::function<double()> probe) { probe_ = std::move(probe); }

  void start() { carry_out(agg_.start()); }

  /// Runs events until the global model reached version v, nothing is left to do, or a bound on
  /// events or simulated time is hit (so a broken policy fails a test instead of hanging it).
  void run_until_version(version_t v, std::size_t max_events = 1000000, double max_s = 1e5) {
    for (std::size_t e = 0; agg_.version() < v && e < max_events; ++e)
      if (q_.empty() || q_.next_time() > max_s || !q_.run_next())
        break;
  }

  std::vector<sample> batch_of(worker_id w, std::uint64_t job, std::uint64_t step) const {
    auto& shard = shards_.at(w);
    const std::size_t b = workers_.at(w).spec.batch;
    const std::uint64_t first = (job * steps_ + step) * b;
    std::vector<sample> out;
    for (std::size_t k = 0; k < b; ++k)
      out.push_back(shard[(first + k) % shard.size()]);
    return out;
  }

  fake_aggregator& agg() { return agg_; }
  const vec& weights_at(version_t v) const { return weights_.at(v); }
  const std::vector<upload_record>& uploads() const { return uploads_; }
  /// Jobs whose work a restart (or a newer release) threw away.
  std::size_t discarded_jobs() const { return discarded_; }
  std::size_t ignored_releases() const { return ignored_; }

 private:
  struct worker {
    local_worker_spec spec;
    bool active = false;
    version_t job_v = 0;
    std::uint64_t seq = 0;   ///< invalidates the completion of a replaced job
    std::uint64_t jobs = 0;  ///< jobs started so far
  };
  struct upload {
    worker_id worker;
    version_t version;
    vec delta;
    std::uint64_t samples;
  };

  static std::vector<worker_id> ids(std::size_t n) {
    std::vector<worker_id> v;
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<worker_id>(i));
    return v;
  }

  void start_job(worker_id i, version_t v) {
    auto& wk = workers_[i];
    wk.active = true;
    wk.job_v = v;
    const auto seq = ++wk.seq;
    const auto job = wk.jobs++;
    q_.at(q_.now() + wk.spec.job_s, [this, i, seq, job] { job_done(i, seq, job); });
  }

  void job_done(worker_id i, std::uint64_t seq, std::uint64_t job) {
    auto& wk = workers_[i];
    if (!wk.active || seq != wk.seq)
      return;  // replaced
    wk.active = false;
    const vec& start = weights_.at(wk.job_v);
    vec w = start;
    std::uint64_t samples = 0;
    for (std::uint64_t s = 0; s < steps_; ++s) {
      auto batch = batch_of(i, job, s);
      vec g = gradient_sum(batch, w);
      for (std::size_t k = 0; k < w.size(); ++k)
        w[k] -= local_lr_ * g[k] / double(batch.size());
      samples += batch.size();
    }
    upload u{i, wk.job_v, vec(w.size()), samples};
    for (std::size_t k = 0; k < w.size(); ++k)
      u.delta[k] = w[k] - start[k];
    q_.at(q_.now() + wk.spec.up_s, [this, u] { arrive(u); });
  }

  void job_message(worker_id i, version_t v, bool restart) {
    auto& wk = workers_[i];
    if (wk.active && !restart && v <= wk.job_v) {
      ++ignored_;
      return;
    }
    if (wk.active)
      ++discarded_;
    start_job(i, v);
  }

  std::map<worker_id, version_t> jobs() const {
    std::map<worker_id, version_t> out;
    for (auto w : agg_.members().live)
      out[w] = agg_.job_version(w);
    return out;
  }

  void arrive(const upload& u) {
    upload_record rec;
    rec.id = agg_.next_id();
    rec.worker = u.worker;
    rec.version = u.version;
    rec.server_version = agg_.version();
    rec.jobs_before = jobs();
    rec.probe = probe_ ? probe_() : 0.0;
    deltas_[rec.id] = u.delta;
    agg_.set_time(q_.now());
    rec.decision = agg_.push_on(u.worker, u.version, u.samples);
    rec.jobs_after = jobs();
    for (auto id : agg_.pending_ids())
      rec.waiting_after.insert(agg_.meta(id).worker);
    uploads_.push_back(rec);
    carry_out(rec.decision);
  }

  void carry_out(const round_decision& d) {
    const version_t v = agg_.version();
    for (auto w : d.restart)
      q_.at(q_.now() + workers_.at(w).spec.down_s, [this, w, v] { job_message(w, v, true); });
    for (auto w : d.release)
      q_.at(q_.now() + workers_.at(w).spec.down_s, [this, w, v] { job_message(w, v, false); });
  }

  void apply(const closed_round& r) {
    vec x = weights_.back();
    if (r.combine == combine_rule::delta_sum) {
      vec sum(x.size(), 0.0);
      for (auto& a : r.apply)
        for (std::size_t k = 0; k < x.size(); ++k)
          sum[k] += a.weight * deltas_.at(a.id)[k];
      for (std::size_t k = 0; k < x.size(); ++k)
        x[k] += sum[k];
    } else {
      x.assign(x.size(), std::nan(""));  // not modelled: poisons every comparison
    }
    weights_.push_back(std::move(x));
  }

  std::vector<std::vector<sample>> shards_;
  double local_lr_;
  std::uint64_t steps_;
  fake_aggregator agg_;
  event_queue q_;
  std::vector<worker> workers_;
  std::vector<vec> weights_;
  std::map<contribution_id, vec> deltas_;
  std::vector<upload_record> uploads_;
  std::function<double()> probe_;
  std::size_t discarded_ = 0;
  std::size_t ignored_ = 0;
};

}  // namespace hetsgd::test
