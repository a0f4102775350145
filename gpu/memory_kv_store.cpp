#include "gpu/memory_kv_store.hpp"

#include "gpu/collective.hpp"

namespace hetsgd {

kv_store::~kv_store() = default;

void memory_kv_store::set(const std::string& key, const std::vector<char>& value) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    values_[key] = value;
  }
  changed_.notify_all();
}

std::vector<char> memory_kv_store::get(const std::string& key, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  const bool found = changed_.wait_for(lock, timeout, [&] { return values_.count(key) > 0; });
  if (!found)
    throw collective_error(collective_errc::timeout, "rendezvous: key '" + key +
                                                       "' was not set within " +
                                                       std::to_string(timeout.count()) + " ms");
  return values_[key];
}

}  // namespace hetsgd
