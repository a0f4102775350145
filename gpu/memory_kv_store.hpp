#pragma once
/// \file
/// A kv_store in memory, for ranks that are threads of one process (tests, single-process runs).

#include <condition_variable>
#include <map>
#include <mutex>

#include "gpu/kv_store.hpp"

namespace hetsgd {

class memory_kv_store final : public kv_store {
 public:
  void set(const std::string& key, const std::vector<char>& value) override;
  std::vector<char> get(const std::string& key, std::chrono::milliseconds timeout) override;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<char>> values_;
};

}  // namespace hetsgd
