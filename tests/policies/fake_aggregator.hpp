#pragma once
/// A fake aggregator for unit tests of round policies: it plays the aggregator's role over pure
/// metadata (no tensors, no actors, no real clock). It holds the model version, the membership
/// view and a fake clock (just a number), assigns contribution ids, feeds events to a policy and
/// carries out each decision: bump the version on a close, record applied and dropped ids and the
/// workers released onto the new version. While doing so it checks the round-policy contract:
/// every contribution passed to on_arrival appears exactly once across all decisions' apply/drop
/// lists (or is still pending at the end) — never twice, never an unknown id. Violations are
/// collected as readable strings rather than thrown, so a test can also assert that a broken
/// policy IS caught.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "policies/round_policy.hpp"

namespace hetsgd::test {

/// What finally happened to one contribution.
struct contribution_outcome {
  enum class kind { pending, applied, dropped };
  kind state = kind::pending;
  double weight = 0.0;                      ///< when applied
  drop_reason reason = drop_reason::stale;  ///< when dropped
  std::size_t round = 0;                    ///< index into fake_aggregator::rounds() when applied
  version_t applied_at_version = 0;         ///< version before the update it went into
};

/// One closed round, as the aggregator carried it out.
struct closed_round {
  version_t from_version = 0;  ///< version the update was applied to (the new one is +1)
  close_reason reason = close_reason::all_arrived;
  combine_rule combine = combine_rule::sample_weighted_mean;
  double at_s = 0.0;
  std::vector<weighted_contribution> apply;
  std::vector<contribution_meta> metas;  ///< metadata of `apply`, same order
};

class fake_aggregator {
 public:
  /// Called after the version bump of every close, before releases are recorded; the numeric
  /// harness hooks its optimizer step in here.
  using close_hook = std::function<void(const closed_round&)>;

  fake_aggregator(round_policy& policy, std::vector<worker_id> live) : policy_(policy) {
    std::sort(live.begin(), live.end());
    members_.live = std::move(live);
  }

  // ---- clock, version, membership --------------------------------------------------------------

  void set_time(double t) { now_ = t; }
  double now() const { return now_; }
  version_t version() const { return version_; }
  const membership_view& members() const { return members_; }
  void on_close(close_hook hook) { hook_ = std::move(hook); }

  policy_context context() const {
    policy_context ctx;
    ctx.now_s = now_;
    ctx.version = version_;
    ctx.members = &members_;
    return ctx;
  }

  // ---- events ----------------------------------------------------------------------------------

  round_decision start() { return carry_out(policy_.on_start(context()), "on_start"); }

  /// A contribution from `w` computed on `v` with `samples` samples arrives now. Returns the
  /// policy's decision (already carried out); the new id is last_id().
  round_decision push_on(worker_id w, version_t v, std::uint64_t samples = 8) {
    contribution_meta c;
    c.id = next_id_++;
    c.worker = w;
    c.version = v;
    c.samples = samples;
    c.arrived_at_s = now_;
    c.membership_epoch = members_.epoch;
    return arrive(c);
  }

  /// A contribution from `w` on the version it was last released onto (what a well-behaved
  /// push_and_wait worker does).
  round_decision push(worker_id w, std::uint64_t samples = 8) {
    return push_on(w, job_version(w), samples);
  }

  /// Feed an arbitrary contribution; its id is taken as is (tests use this to reuse ids).
  round_decision arrive(const contribution_meta& c) {
    last_id_ = c.id;
    next_id_ = std::max(next_id_, c.id + 1);
    if (submitted_.count(c.id) != 0)
      violation("harness fed contribution id " + std::to_string(c.id) + " twice");
    submitted_[c.id] = c;
    outcomes_[c.id] = contribution_outcome{};
    order_.push_back(c.id);
    return carry_out(policy_.on_arrival(c, context()), "on_arrival");
  }

  round_decision fire_timer() { return carry_out(policy_.on_timer(context()), "on_timer"); }

  /// Set the clock to t and fire the timer there.
  round_decision fire_timer_at(double t) {
    set_time(t);
    return fire_timer();
  }

  round_decision remove_workers(const std::vector<worker_id>& gone) {
    std::vector<worker_id> live;
    for (auto w : members_.live)
      if (std::find(gone.begin(), gone.end(), w) == gone.end())
        live.push_back(w);
    return change_membership(std::move(live));
  }

  round_decision add_workers(const std::vector<worker_id>& joined) {
    auto live = members_.live;
    for (auto w : joined)
      if (!members_.contains(w))
        live.push_back(w);
    return change_membership(std::move(live));
  }

  round_decision change_membership(std::vector<worker_id> live) {
    std::sort(live.begin(), live.end());
    members_.live = std::move(live);
    ++members_.epoch;
    return carry_out(policy_.on_membership_change(context()), "on_membership_change");
  }

  // ---- what happened ---------------------------------------------------------------------------

  contribution_id last_id() const { return last_id_; }
  /// The id the next push()/push_on() will get.
  contribution_id next_id() const { return next_id_; }
  const std::vector<closed_round>& rounds() const { return rounds_; }
  const std::vector<round_decision>& decisions() const { return decisions_; }
  const std::vector<std::string>& violations() const { return violations_; }
  std::string violations_text() const {
    std::ostringstream os;
    for (auto& v : violations_)
      os << "  - " << v << "\n";
    return os.str();
  }

  const contribution_meta& meta(contribution_id id) const { return submitted_.at(id); }
  const contribution_outcome& outcome(contribution_id id) const { return outcomes_.at(id); }
  bool is_applied(contribution_id id) const {
    return outcome(id).state == contribution_outcome::kind::applied;
  }
  bool is_dropped(contribution_id id, drop_reason r) const {
    auto& o = outcome(id);
    return o.state == contribution_outcome::kind::dropped && o.reason == r;
  }
  bool is_pending(contribution_id id) const {
    return outcome(id).state == contribution_outcome::kind::pending;
  }

  /// Ids fed to the policy that no decision has resolved yet ("in flight" if the run ends now).
  std::vector<contribution_id> pending_ids() const {
    std::vector<contribution_id> out;
    for (auto id : order_)
      if (is_pending(id))
        out.push_back(id);
    return out;
  }
  std::size_t applied_count() const { return count(contribution_outcome::kind::applied); }
  std::size_t dropped_count() const { return count(contribution_outcome::kind::dropped); }
  std::size_t submitted_count() const { return order_.size(); }

  /// Version the worker was last released onto; the worker's current job computes on it.
  version_t job_version(worker_id w) const {
    auto it = job_version_.find(w);
    return it == job_version_.end() ? 0 : it->second;
  }
  /// How many times the worker was released (or restarted) since the run started.
  std::size_t release_count(worker_id w) const {
    auto it = release_count_.find(w);
    return it == release_count_.end() ? 0 : it->second;
  }
  bool ever_released(worker_id w) const { return release_count(w) > 0; }

  /// The latest timer the policy asked for (< 0: none asked yet).
  double requested_timer() const { return timer_; }
  std::size_t timers_requested() const { return timers_requested_; }

  /// Final contract check: everything resolved is accounted for exactly once; returns the
  /// violations (empty = contract held). Pending ids are fine (they are "in flight").
  bool contract_held() const {
    std::size_t resolved = applied_count() + dropped_count();
    return violations_.empty() && resolved + pending_ids().size() == submitted_count();
  }

 private:
  std::size_t count(contribution_outcome::kind k) const {
    std::size_t n = 0;
    for (auto& [id, o] : outcomes_)
      n += o.state == k ? 1 : 0;
    return n;
  }

  void violation(std::string what) { violations_.push_back(std::move(what)); }

  /// Mark id resolved; report unknown ids and ids resolved twice.
  bool resolve(contribution_id id, const char* where, const char* as) {
    auto it = outcomes_.find(id);
    if (it == outcomes_.end()) {
      violation(std::string(where) + ": " + as + " of unknown contribution id " +
                std::to_string(id));
      return false;
    }
    if (it->second.state != contribution_outcome::kind::pending) {
      violation(std::string(where) + ": contribution id " + std::to_string(id) + " " + as +
                " but it was already " +
                (it->second.state == contribution_outcome::kind::applied ? "applied" : "dropped"));
      return false;
    }
    return true;
  }

  round_decision carry_out(round_decision d, const char* where) {
    decisions_.push_back(d);
    // Drops first: their ids leave the pending set whether or not the round closes.
    for (auto& dr : d.drop) {
      if (!resolve(dr.id, where, "drop"))
        continue;
      auto& o = outcomes_[dr.id];
      o.state = contribution_outcome::kind::dropped;
      o.reason = dr.reason;
    }
    if (!d.close && !d.apply.empty())
      violation(std::string(where) + ": apply list without close");
    if (d.close) {
      if (d.apply.empty())
        violation(std::string(where) + ": close with an empty apply list");
      closed_round r;
      r.from_version = version_;
      r.reason = d.reason;
      r.combine = d.combine;
      r.at_s = now_;
      for (auto& a : d.apply) {
        // A model average may give a worker that did no work weight 0 (WP-SGD: a_i >= 0);
        // every other rule needs a positive weight.
        const bool zero_ok = d.combine == combine_rule::model_average;
        if (!(std::isfinite(a.weight) && (a.weight > 0.0 || (zero_ok && a.weight == 0.0))))
          violation(std::string(where) + ": negative, zero or non-finite weight for id " +
                    std::to_string(a.id));
        if (!resolve(a.id, where, "apply"))
          continue;
        auto& o = outcomes_[a.id];
        o.state = contribution_outcome::kind::applied;
        o.weight = a.weight;
        o.round = rounds_.size();
        o.applied_at_version = version_;
        r.apply.push_back(a);
        r.metas.push_back(submitted_.at(a.id));
      }
      ++version_;
      rounds_.push_back(r);
      policy_.on_round_applied(context(), std::numeric_limits<double>::quiet_NaN());
      if (hook_)
        hook_(rounds_.back());
    }
    std::set<worker_id> seen;
    for (auto w : d.release) {
      if (!seen.insert(w).second)
        violation(std::string(where) + ": worker " + std::to_string(w) +
                  " released twice in one decision");
      if (!members_.contains(w))
        violation(std::string(where) + ": released non-member worker " + std::to_string(w));
      job_version_[w] = version_;
      ++release_count_[w];
    }
    for (auto w : d.restart) {
      if (!members_.contains(w))
        violation(std::string(where) + ": restarted non-member worker " + std::to_string(w));
      job_version_[w] = version_;
      ++release_count_[w];
    }
    if (d.has_timer()) {
      timer_ = d.wake_at_s;
      ++timers_requested_;
    }
    return d;
  }

  round_policy& policy_;
  membership_view members_;
  double now_ = 0.0;
  version_t version_ = 0;
  contribution_id next_id_ = 1;
  contribution_id last_id_ = 0;
  std::map<contribution_id, contribution_meta> submitted_;
  std::map<contribution_id, contribution_outcome> outcomes_;
  std::vector<contribution_id> order_;
  std::vector<closed_round> rounds_;
  std::vector<round_decision> decisions_;
  std::vector<std::string> violations_;
  std::map<worker_id, version_t> job_version_;
  std::map<worker_id, std::size_t> release_count_;
  double timer_ = -1.0;
  std::size_t timers_requested_ = 0;
  close_hook hook_;
};

// ---- small helpers for assertions
// ----------------------------------------------------------------

inline std::vector<contribution_id> ids_of(const std::vector<weighted_contribution>& v) {
  std::vector<contribution_id> out;
  for (auto& a : v)
    out.push_back(a.id);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<contribution_id> ids_of(const std::vector<dropped_contribution>& v) {
  std::vector<contribution_id> out;
  for (auto& a : v)
    out.push_back(a.id);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<worker_id> sorted(std::vector<worker_id> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// A decision that changes nothing: no close, no apply/drop, nobody released or restarted.
inline bool is_noop(const round_decision& d) {
  return !d.close && d.apply.empty() && d.drop.empty() && d.release.empty() && d.restart.empty() &&
         d.request_upload.empty();
}

}  // namespace hetsgd::test
