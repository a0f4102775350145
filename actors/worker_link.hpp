#pragma once
/// The emulated network link between one worker and the aggregator. In one process a message
/// crosses in microseconds and never gets lost; the link faults (`delay`, `drop`, `slow_link`)
/// make it behave like a real link, and this class decides what happens to each message:
/// whether it is lost and after how many seconds it is delivered. Each direction is a FIFO: a
/// message is delivered after the ones sent before it on the same direction (a bandwidth cap
/// queues transfers behind each other), so the link never reorders. Every random draw comes from
/// the link's own seeded generator. Pure logic (no actors), so it is unit-tested on its own.

#include <cstdint>
#include <random>

namespace hetsgd {

enum class link_direction { to_aggregator, to_worker };

struct link_transfer {
  bool lost = false;     ///< dropped on the way: never delivered
  double after_s = 0.0;  ///< seconds from now until delivery (when not lost)
};

class worker_link {
 public:
  explicit worker_link(std::uint64_t seed) : rng_(seed) {}

  /// The network model (config [network]): latency of every message, seconds, and the link's
  /// rate, bytes/s (0: unlimited). The fault setters below come on top of it.
  void set_network(double latency_s, double bytes_per_s) {
    base_delay_s_ = latency_s;
    base_bandwidth_ = bytes_per_s;
  }
  /// Latency a `delay` fault adds to every message, seconds (0: none).
  void set_delay(double seconds) { delay_s_ = seconds; }
  /// Probability that a bulk message (a push, or the weights sent back) is lost (0: none).
  void set_drop(double probability) {
    drop_p_ = probability;
    if (probability > 0.0)
      ever_lossy_ = true;
  }
  /// Transfer rate cap of a `slow_link` fault, bytes/s (0: none); the lower of it and the
  /// network model's rate applies.
  void set_bandwidth(double bytes_per_s) { bandwidth_ = bytes_per_s; }

  /// A message of `bytes` sent at `now_s` in direction `d`. `droppable`: bulk messages can be
  /// lost; control messages (probes, upload requests, restarts) ride a reliable channel and are
  /// only delayed.
  link_transfer send(double now_s, std::uint64_t bytes, link_direction d, bool droppable);

  /// A drop fault has been active on this link at some point: the worker must probe for the
  /// answers to its pushes, since either could have been lost.
  bool ever_lossy() const { return ever_lossy_; }
  bool clean() const {
    return delay_s_ + base_delay_s_ == 0.0 && drop_p_ == 0.0 && bandwidth() == 0.0;
  }
  /// The rate in force, bytes/s (0: unlimited).
  double bandwidth() const {
    if (bandwidth_ > 0.0 && base_bandwidth_ > 0.0)
      return bandwidth_ < base_bandwidth_ ? bandwidth_ : base_bandwidth_;
    return bandwidth_ > 0.0 ? bandwidth_ : base_bandwidth_;
  }

 private:
  std::mt19937_64 rng_;
  double delay_s_ = 0.0;
  double drop_p_ = 0.0;
  double bandwidth_ = 0.0;
  double base_delay_s_ = 0.0;
  double base_bandwidth_ = 0.0;
  bool ever_lossy_ = false;
  // Per direction (0: to the aggregator, 1: to the worker), clock seconds.
  double free_at_s_[2] = {0.0, 0.0};       ///< when the last transmission leaves the wire
  double delivered_at_s_[2] = {0.0, 0.0};  ///< when the last message is delivered
};

}  // namespace hetsgd
