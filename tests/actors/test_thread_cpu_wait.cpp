#include <catch2/catch.hpp>

#include <thread>

#include "actors/thread_cpu_wait.hpp"

CATCH_TEST_CASE("thread runqueue wait is readable and never decreases", "[accounting]") {
  double first = hetsgd::thread_runqueue_wait_s();
  CATCH_REQUIRE(first >= 0.0);  // Linux with schedstat, as on every machine hetsgd supports
  volatile double sink = 0.0;
  for (int i = 0; i < 1000000; ++i)
    sink = sink + i;
  CATCH_CHECK(hetsgd::thread_runqueue_wait_s() >= first);
  // Each thread reads its own counter.
  double other = -1.0;
  std::thread t([&] { other = hetsgd::thread_runqueue_wait_s(); });
  t.join();
  CATCH_CHECK(other >= 0.0);
}
