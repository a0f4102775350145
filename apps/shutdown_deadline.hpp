#pragma once
/// A deadline on the end of a process: once armed, if the process has not gone on (disarm)
/// within the given time, it says so on stderr and exits with the run's code. For the shutdown
/// of an actor system after a finished run: CAF 0.17 waits there for every actor and connection
/// with no deadline of its own, and a hang there would keep a finished run's process alive.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace hetsgd {

class shutdown_deadline {
 public:
  shutdown_deadline() = default;
  shutdown_deadline(const shutdown_deadline&) = delete;
  shutdown_deadline& operator=(const shutdown_deadline&) = delete;
  ~shutdown_deadline();

  /// Starts the clock: after `limit` without disarm(), prints `what` and calls std::_Exit(code).
  void arm(std::chrono::seconds limit, int code, std::string what);
  void disarm();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread watcher_;
};

}  // namespace hetsgd
