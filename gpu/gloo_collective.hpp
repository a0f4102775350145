#pragma once
/// \file
/// The `gloo` collective: CPU ranks in separate processes (or hosts) reduce over Gloo's TCP
/// transport. Peers meet through a kv_store (the aggregator's rendezvous actor); Gloo's own
/// ring all-reduce moves the bytes. Compiled only when Gloo was found (HETSGD_HAVE_GLOO).

#include <memory>

#include "gpu/collective.hpp"

namespace gloo {
class Context;
}

namespace hetsgd {

class gloo_collective final : public collective {
 public:
  /// Connects to all `setup.size` ranks (full mesh) through `setup.store` under `setup.prefix`,
  /// listening on `setup.host`. Throws collective_error (timeout) when a peer does not show up
  /// within `setup.timeout`.
  explicit gloo_collective(const collective_setup& setup);
  ~gloo_collective() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "gloo"; }
  reduce_result all_reduce(float* data, std::size_t n, float scale,
                           std::chrono::milliseconds timeout) override;

 private:
  std::shared_ptr<gloo::Context> context_;
  int rank_;
  int size_;
  std::uint32_t next_tag_ = 0;
  bool count_non_finite_ = true;
  bool broken_ = false;
};

}  // namespace hetsgd
