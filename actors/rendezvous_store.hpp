#pragma once
/// \file
/// The rendezvous store the aggregator provides: a key-value actor through which the ranks of a
/// collective (Gloo, NCCL) exchange their addresses. It is reachable wherever the aggregator is
/// (published with it over CAF's middleman), so no extra port or Gloo store is needed.
///
/// Protocol: (kv_set_atom, key, value) → ok; (kv_get_atom, key) → value, answered as soon as
/// some rank sets the key (the requester's own timeout bounds the wait). Keys and values are
/// checked against limits before use, because peers send them.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstddef>

#include "gpu/kv_store.hpp"

namespace hetsgd {

/// Limits on what a peer may store: bounds memory whatever it sends.
struct rendezvous_limits {
  std::size_t max_key_bytes = 512;
  std::size_t max_value_bytes = 64 * 1024;
  std::size_t max_keys = 100000;
  std::size_t max_pending_gets = 10000;
};

/// Spawns the store. Rejected requests are answered with an error naming the limit.
caf::actor spawn_rendezvous_store(caf::actor_system& sys, rendezvous_limits limits = {});

/// A kv_store client of a rendezvous store actor, local or remote. Blocking (scoped_actor):
/// for setting up a collective, never on a hot path.
class rendezvous_client final : public kv_store {
 public:
  rendezvous_client(caf::actor_system& sys, caf::actor store)
      : sys_(sys), store_(std::move(store)) {}

  void set(const std::string& key, const std::vector<char>& value) override;
  std::vector<char> get(const std::string& key, std::chrono::milliseconds timeout) override;

  /// How long set() waits for the store's acknowledgement.
  std::chrono::milliseconds set_timeout{10000};

 private:
  caf::actor_system& sys_;
  caf::actor store_;
};

}  // namespace hetsgd
