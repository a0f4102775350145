#pragma once
/// \file
/// The collective that sums a round's payloads (cluster.transport = "gloo" or "nccl"): instead of
/// each worker sending its gradient to the aggregator, the round's participants and the aggregator
/// (rank 0, adding zeros) all-reduce them, and the aggregator applies the sum. The aggregator
/// numbers each distinct set of participants (a "group"); every rank connects afresh when the
/// number changes, through the aggregator's rendezvous store, under the prefix "group-<n>/".

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "gpu/collective.hpp"

namespace hetsgd {

class rendezvous_client;

struct collective_params {
  std::string backend;             ///< "" = tensors travel inside the messages (transport "local")
  caf::actor rendezvous;           ///< the aggregator's rendezvous store
  std::string host = "127.0.0.1";  ///< the address this rank's peers reach it at
  double timeout_s = 30.0;         ///< deadline of connecting and of each all-reduce, seconds
  int device = 0;                  ///< nccl: the CUDA device index this rank stages its buffer on
};

/// One rank's side of the round groups. Not thread-safe: one actor uses it.
class round_group_member {
 public:
  round_group_member(caf::actor_system& sys, collective_params p);
  ~round_group_member();

  bool enabled() const { return !p_.backend.empty(); }

  /// Sums n floats at `data` in place with the other ranks of group `group` (connecting first
  /// when it is new to this rank). Throws collective_error; the group is then forgotten, so
  /// the next call connects afresh.
  reduce_result all_reduce(std::uint64_t group, int rank, int size, float* data, std::size_t n);

  /// Closes the connections of the current group (its peers' operations fail at once).
  void forget();

 private:
  caf::actor_system& sys_;
  collective_params p_;
  std::unique_ptr<rendezvous_client> client_;
  std::unique_ptr<collective> current_;
  std::uint64_t group_ = 0;
};

}  // namespace hetsgd
