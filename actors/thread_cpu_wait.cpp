#include "actors/thread_cpu_wait.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>

namespace hetsgd {

namespace {

/// One open descriptor per thread: a pread costs a few microseconds, an fopen/fscanf/fclose
/// several times that, and this is read on every aggregator handler.
struct schedstat_file {
  int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  ~schedstat_file() {
    if (fd >= 0)
      ::close(fd);
  }
};

}  // namespace

double thread_runqueue_wait_s() {
  thread_local schedstat_file file;
  if (file.fd < 0)
    return -1.0;
  // "<on-cpu ns> <runqueue wait ns> <timeslices>"
  char buf[96];
  auto n = ::pread(file.fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return -1.0;
  buf[n] = '\0';
  char* end = nullptr;
  std::strtoull(buf, &end, 10);
  if (end == buf)
    return -1.0;
  char* end2 = nullptr;
  auto waiting = std::strtoull(end, &end2, 10);
  if (end2 == end)
    return -1.0;
  return 1e-9 * static_cast<double>(waiting);
}

}  // namespace hetsgd
