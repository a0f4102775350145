#include "actors/worker_link.hpp"

#include <algorithm>

namespace hetsgd {

link_transfer worker_link::send(double now_s, std::uint64_t bytes, link_direction d,
                                bool droppable) {
  link_transfer t;
  // Drawn for every droppable message while a drop fault is on, so the sequence of losses
  // depends only on the seed and the order of messages.
  if (droppable && drop_p_ > 0.0) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(rng_) < drop_p_) {
      t.lost = true;
      return t;
    }
  }
  const int dir = d == link_direction::to_aggregator ? 0 : 1;
  // Transmission starts when the wire is free and takes bytes / bandwidth; the latency comes on
  // top (transfers pipeline behind each other). A later message is never delivered before an
  // earlier one.
  const double start = std::max(now_s, free_at_s_[dir]);
  const double rate = bandwidth();
  const double transmit = rate > 0.0 ? static_cast<double>(bytes) / rate : 0.0;
  free_at_s_[dir] = start + transmit;
  const double deliver_at =
    std::max(start + transmit + base_delay_s_ + delay_s_, delivered_at_s_[dir]);
  delivered_at_s_[dir] = deliver_at;
  t.after_s = std::max(0.0, deliver_at - now_s);
  return t;
}

}  // namespace hetsgd
