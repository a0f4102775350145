#pragma once
/// \file
/// The key-value store through which the ranks of a collective find each other (rendezvous):
/// each rank publishes its address under a key and reads the others'. Implementations: the
/// aggregator's rendezvous actor (actors/rendezvous_store.hpp) across processes, and
/// memory_kv_store for ranks that are threads of one process.

#include <chrono>
#include <string>
#include <vector>

namespace hetsgd {

class kv_store {
 public:
  virtual ~kv_store();
  /// Sets `key` to `value` (a key is written once per rendezvous; a second set overwrites).
  virtual void set(const std::string& key, const std::vector<char>& value) = 0;
  /// The value of `key`, waiting until some rank sets it. Throws collective_error (timeout)
  /// naming the key when it is not set within `timeout`.
  virtual std::vector<char> get(const std::string& key, std::chrono::milliseconds timeout) = 0;
};

}  // namespace hetsgd
