#pragma once
/// A deterministic discrete-event queue for the worker simulations of the policy tests: events
/// run in order of (time, insertion order), so two events at the same time run in the order
/// they were scheduled. No threads, no real clock.

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace hetsgd::test {

class event_queue {
 public:
  /// Run `f` at clock time `t` (never earlier than now).
  void at(double t, std::function<void()> f) {
    events_.push(event{t < now_ ? now_ : t, seq_++, std::move(f)});
  }

  /// Runs the earliest event; false when none is left.
  bool run_next() {
    if (events_.empty())
      return false;
    auto e = events_.top();
    events_.pop();
    now_ = e.t;
    e.f();
    return true;
  }

  double now() const { return now_; }
  bool empty() const { return events_.empty(); }
  /// Time of the earliest event (only when !empty()).
  double next_time() const { return events_.top().t; }

 private:
  struct event {
    double t;
    std::uint64_t seq;
    std::function<void()> f;
  };
  struct later {
    bool operator()(const event& a, const event& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };
  std::priority_queue<event, std::vector<event>, later> events_;
  double now_ = 0.0;
  std::uint64_t seq_ = 0;
};

}  // namespace hetsgd::test
