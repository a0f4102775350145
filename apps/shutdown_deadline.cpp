#include "apps/shutdown_deadline.hpp"

#include <cstdlib>
#include <iostream>

namespace hetsgd {

void shutdown_deadline::arm(std::chrono::seconds limit, int code, std::string what) {
  if (watcher_.joinable())
    return;  // armed once
  watcher_ = std::thread([this, limit, code, what = std::move(what)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (cv_.wait_for(lock, limit, [this] { return disarmed_; }))
      return;
    std::cerr << "hetsgd: " << what << " did not finish within " << limit.count()
              << " s; exiting with the run's code " << code << "\n"
              << std::flush;
    std::cout << std::flush;
    std::_Exit(code);
  });
}

void shutdown_deadline::disarm() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disarmed_ = true;
  }
  cv_.notify_all();
  if (watcher_.joinable())
    watcher_.join();
}

shutdown_deadline::~shutdown_deadline() {
  disarm();
}

}  // namespace hetsgd
