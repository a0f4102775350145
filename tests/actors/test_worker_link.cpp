// The emulated worker–aggregator link: what a delay, a loss probability and a bandwidth cap do
// to each message, on hand-made send times.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "actors/worker_link.hpp"

using hetsgd::link_direction;
using hetsgd::worker_link;

namespace {
constexpr auto up = link_direction::to_aggregator;
constexpr auto down = link_direction::to_worker;
}  // namespace

CATCH_TEST_CASE("worker link: a clean link delivers at once and loses nothing", "[link]") {
  worker_link l(1);
  CATCH_CHECK(l.clean());
  for (int i = 0; i < 1000; ++i) {
    auto t = l.send(0.001 * i, 1'000'000, i % 2 ? up : down, true);
    CATCH_CHECK_FALSE(t.lost);
    CATCH_CHECK(t.after_s == 0.0);
  }
  CATCH_CHECK_FALSE(l.ever_lossy());
}

CATCH_TEST_CASE("worker link: a delay adds its latency to every message, both ways", "[link]") {
  worker_link l(1);
  l.set_delay(0.25);
  CATCH_CHECK(l.send(1.0, 100, up, true).after_s == Approx(0.25));
  CATCH_CHECK(l.send(1.0, 0, down, false).after_s == Approx(0.25));
  l.set_delay(0.0);
  // A message sent after the delay ended still arrives after the ones before it (FIFO).
  CATCH_CHECK(l.send(1.1, 100, up, true).after_s == Approx(0.15));
  CATCH_CHECK(l.send(2.0, 100, up, true).after_s == 0.0);
}

CATCH_TEST_CASE("worker link: a bandwidth cap queues transfers behind each other", "[link]") {
  worker_link l(1);
  l.set_bandwidth(1e6);  // 1 MB/s
  // Two 1 MB pushes sent at once: the second waits for the first to leave the wire.
  CATCH_CHECK(l.send(0.0, 1'000'000, up, true).after_s == Approx(1.0));
  CATCH_CHECK(l.send(0.0, 1'000'000, up, true).after_s == Approx(2.0));
  // The other direction has its own wire.
  CATCH_CHECK(l.send(0.0, 500'000, down, true).after_s == Approx(0.5));
  // With a latency on top, transfers pipeline: the wire is free again after the transmission.
  l.set_delay(0.1);
  CATCH_CHECK(l.send(3.0, 1'000'000, up, true).after_s == Approx(1.1));
  CATCH_CHECK(l.send(3.0, 1'000'000, up, true).after_s == Approx(2.1));
}

CATCH_TEST_CASE("worker link: drops hit bulk messages at the configured rate, seeded", "[link]") {
  auto losses = [](std::uint64_t seed, bool interleave_control) {
    worker_link l(seed);
    l.set_drop(0.3);
    std::vector<bool> lost;
    for (int i = 0; i < 10000; ++i) {
      if (interleave_control)
        CATCH_CHECK_FALSE(l.send(i, 0, up, false).lost);  // control messages are never lost
      lost.push_back(l.send(i, 1000, i % 2 ? up : down, true).lost);
    }
    return lost;
  };
  auto a = losses(5, false);
  std::size_t n = 0;
  for (bool x : a)
    n += x;
  CATCH_CHECK(n > 2800);
  CATCH_CHECK(n < 3200);
  CATCH_CHECK(losses(5, false) == a);  // same seed, same losses
  CATCH_CHECK(losses(6, false) != a);
  // Control messages draw nothing: the bulk losses do not depend on them.
  CATCH_CHECK(losses(5, true) == a);
}

CATCH_TEST_CASE("worker link: once lossy, it stays marked so that pushes are probed", "[link]") {
  worker_link l(1);
  l.set_drop(0.5);
  CATCH_CHECK(l.ever_lossy());
  l.set_drop(0.0);
  CATCH_CHECK(l.ever_lossy());
  CATCH_CHECK(l.clean());
}

CATCH_TEST_CASE("worker link: the network model is the base that link faults add to", "[link]") {
  worker_link l(1);
  l.set_network(0.01, 2e6);  // 10 ms, 2 MB/s
  CATCH_CHECK_FALSE(l.clean());
  // latency + bytes / bandwidth
  CATCH_CHECK(l.send(0.0, 1'000'000, up, true).after_s == Approx(0.51));
  // A delay fault adds to the latency; a slow_link fault only ever lowers the rate.
  l.set_delay(0.2);
  CATCH_CHECK(l.send(10.0, 1'000'000, up, true).after_s == Approx(0.71));
  l.set_bandwidth(4e6);  // faster than the network: the network's rate stays
  CATCH_CHECK(l.bandwidth() == 2e6);
  l.set_bandwidth(1e6);
  CATCH_CHECK(l.send(20.0, 1'000'000, up, true).after_s == Approx(1.21));
  l.set_delay(0.0);
  l.set_bandwidth(0.0);
  CATCH_CHECK(l.send(30.0, 1'000'000, up, true).after_s == Approx(0.51));
  CATCH_CHECK_FALSE(l.clean());
}
