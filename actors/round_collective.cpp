#include "actors/round_collective.hpp"

#include "actors/rendezvous_store.hpp"

namespace hetsgd {

round_group_member::round_group_member(caf::actor_system& sys, collective_params p)
    : sys_(sys), p_(std::move(p)) {
  if (enabled())
    client_ = std::make_unique<rendezvous_client>(sys_, p_.rendezvous);
}

round_group_member::~round_group_member() = default;

void round_group_member::forget() {
  current_.reset();
}

reduce_result round_group_member::all_reduce(std::uint64_t group, int rank, int size, float* data,
                                             std::size_t n) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(p_.timeout_s * 1000));
  try {
    if (!current_ || group != group_ || current_->rank() != rank || current_->size() != size) {
      current_.reset();
      collective_setup s;
      s.backend = p_.backend;
      s.store = client_.get();
      s.prefix = "group-" + std::to_string(group) + "/";
      s.rank = rank;
      s.size = size;
      s.host = p_.host;
      s.device = p_.device;
      s.timeout = timeout;
      s.count_non_finite = false;  // the aggregator checks the sum it applies
      current_ = make_collective(s);
      group_ = group;
    }
    return current_->all_reduce(data, n, 1.0f, timeout);
  } catch (const collective_error&) {
    current_.reset();
    throw;
  }
}

}  // namespace hetsgd
