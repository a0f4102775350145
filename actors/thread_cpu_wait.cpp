#include "actors/thread_cpu_wait.hpp"

#include <cstdio>

namespace hetsgd {

double thread_runqueue_wait_s() {
  // /proc/thread-self/schedstat: "<on-cpu ns> <runqueue wait ns> <timeslices>".
  std::FILE* f = std::fopen("/proc/thread-self/schedstat", "r");
  if (f == nullptr)
    return -1.0;
  unsigned long long on_cpu = 0;
  unsigned long long waiting = 0;
  int n = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  return n == 2 ? 1e-9 * static_cast<double>(waiting) : -1.0;
}

}  // namespace hetsgd
