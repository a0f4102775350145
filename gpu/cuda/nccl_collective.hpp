#pragma once
/// \file
/// The `nccl` collective: GPU ranks reduce with NCCL. The interface takes host buffers (Debian's
/// LibTorch has no CUDA, so hetsgd stages the data in device memory it owns); the sum, the 1/N
/// scaling and the NaN check run on the device. Compiled only with CUDA and NCCL
/// (HETSGD_HAVE_NCCL). Without a GPU, construction throws collective_error (no_device).

#include <memory>

#include "gpu/collective.hpp"

namespace hetsgd {

class nccl_collective final : public collective {
 public:
  /// Selects `setup.device`, then meets the other ranks: rank 0 makes the NCCL unique id and
  /// publishes it in `setup.store` under `setup.prefix`, the others read it.
  explicit nccl_collective(const collective_setup& setup);
  ~nccl_collective() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }
  /// Uploads `data`, all-reduces on the device, scales, counts non-finite elements, downloads.
  /// The wait polls NCCL's asynchronous error state until `timeout`, then aborts the
  /// communicator (NCCL's documented way not to hang on a dead peer).
  reduce_result all_reduce(float* data, std::size_t n, float scale,
                           std::chrono::milliseconds timeout) override;

 private:
  struct state;
  std::unique_ptr<state> state_;
  int rank_;
  int size_;
};

}  // namespace hetsgd
