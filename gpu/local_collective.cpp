#include "gpu/local_collective.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

namespace hetsgd {

/// One all-reduce at a time: ranks add into `sum` while collecting; the last to arrive switches
/// to distributing; each rank copies the result out, and the last to leave resets the group.
class local_group {
 public:
  explicit local_group(int size) : size_(size), joined_(static_cast<std::size_t>(size), false) {}

  int size() const { return size_; }

  void join(int rank) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (joined_[static_cast<std::size_t>(rank)])
      throw collective_error(collective_errc::invalid,
                             "local collective: rank " + std::to_string(rank) + " joined twice");
    joined_[static_cast<std::size_t>(rank)] = true;
  }

  void leave() {
    // A rank that goes away while the others collect for an operation it never joined would
    // leave them waiting until their deadline: mark the group broken so they fail at once.
    // (While distributing, the leaver has already taken its result.)
    std::lock_guard<std::mutex> guard{mutex_};
    if (arrived_ > 0 && !distributing_)
      broken_ = true;
    changed_.notify_all();
  }

  reduce_result all_reduce(int rank, float* data, std::size_t n, float scale,
                           std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock{mutex_};
    auto fail_if_broken = [&] {
      if (broken_)
        throw collective_error(collective_errc::broken,
                               "local collective: an earlier operation of the group failed");
    };
    // Wait for the previous operation to finish distributing.
    if (!changed_.wait_until(lock, deadline, [&] { return broken_ || !distributing_; }))
      return timed_out(rank, timeout);
    fail_if_broken();
    if (arrived_ == 0) {
      sum_.assign(n, 0.0f);
    } else if (sum_.size() != n) {
      broken_ = true;
      changed_.notify_all();
      throw collective_error(collective_errc::invalid, "local collective: rank " +
                                                         std::to_string(rank) + " reduces " +
                                                         std::to_string(n) + " elements, others " +
                                                         std::to_string(sum_.size()));
    }
    for (std::size_t i = 0; i < n; ++i)
      sum_[i] += data[i];
    const auto my_generation = generation_;
    if (++arrived_ == size_) {
      for (auto& x : sum_)
        x *= scale;
      distributing_ = true;
      changed_.notify_all();
    } else if (!changed_.wait_until(lock, deadline, [&] {
                 return broken_ || (distributing_ && generation_ == my_generation);
               })) {
      return timed_out(rank, timeout);
    }
    fail_if_broken();
    std::copy(sum_.begin(), sum_.end(), data);
    reduce_result result;
    result.non_finite =
      std::count_if(sum_.begin(), sum_.end(), [](float x) { return !std::isfinite(x); });
    if (++departed_ == size_) {
      arrived_ = 0;
      departed_ = 0;
      distributing_ = false;
      ++generation_;
      changed_.notify_all();
    }
    return result;
  }

 private:
  reduce_result timed_out(int rank, std::chrono::milliseconds timeout) {
    broken_ = true;
    changed_.notify_all();
    throw collective_error(collective_errc::timeout,
                           "local collective: rank " + std::to_string(rank) + " waited " +
                             std::to_string(timeout.count()) + " ms; " + std::to_string(arrived_) +
                             " of " + std::to_string(size_) + " ranks arrived");
  }

  const int size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> joined_;
  std::vector<float> sum_;
  int arrived_ = 0;
  int departed_ = 0;
  bool distributing_ = false;
  bool broken_ = false;
  std::uint64_t generation_ = 0;
};

namespace {

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<local_group>>& registry() {
  static std::map<std::string, std::weak_ptr<local_group>> groups;
  return groups;
}

}  // namespace

local_collective::local_collective(const std::string& name, int rank, int size)
    : rank_(rank), size_(size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw collective_error(collective_errc::invalid, "local collective '" + name + "': rank " +
                                                       std::to_string(rank) + " is not in [0, " +
                                                       std::to_string(size) + ")");
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    for (auto it = registry().begin(); it != registry().end();)  // groups whose ranks all left
      it = it->second.expired() ? registry().erase(it) : std::next(it);
    auto& slot = registry()[name];
    group_ = slot.lock();
    if (!group_) {
      group_ = std::make_shared<local_group>(size);
      slot = group_;
    }
  }
  if (group_->size() != size)
    throw collective_error(collective_errc::invalid,
                           "local collective '" + name + "': size " + std::to_string(size) +
                             " but the group has " + std::to_string(group_->size()));
  group_->join(rank);
}

local_collective::~local_collective() {
  group_->leave();
}

reduce_result local_collective::all_reduce(float* data, std::size_t n, float scale,
                                           std::chrono::milliseconds timeout) {
  return group_->all_reduce(rank_, data, n, scale, timeout);
}

}  // namespace hetsgd
