#pragma once
/// \file
/// The `local` collective: ranks that are threads of one process sum into one shared buffer, with
/// no copy through sockets. Groups meet by name in a process-wide registry (the rendezvous
/// prefix), so the same setup code builds local, gloo and nccl groups.

#include <memory>
#include <string>

#include "gpu/collective.hpp"

namespace hetsgd {

class local_group;

class local_collective final : public collective {
 public:
  /// Joins the group named `name` of `size` ranks as `rank`; the first to join creates it.
  /// Throws collective_error (invalid) when a rank joins twice or sizes disagree.
  local_collective(const std::string& name, int rank, int size);
  ~local_collective() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "local"; }
  reduce_result all_reduce(float* data, std::size_t n, float scale,
                           std::chrono::milliseconds timeout) override;

 private:
  std::shared_ptr<local_group> group_;
  int rank_;
  int size_;
};

}  // namespace hetsgd
