#pragma once
/// \file
/// One interface for the collectives that carry bulk tensors between ranks: `local` (threads of
/// one process), `gloo` (CPU processes over TCP) and `nccl` (GPUs). Modelled on Gloo's split: an
/// algorithm sees only a context (rank, size) and a transport; every operation has a deadline.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace hetsgd {

class kv_store;

/// Why a collective operation or its setup failed.
enum class collective_errc {
  timeout,       ///< a peer did not take part before the deadline
  peer_lost,     ///< a connection to a peer broke (it crashed or left)
  no_device,     ///< the backend has no usable device (e.g. no CUDA device)
  not_compiled,  ///< the backend is not part of this build
  invalid,       ///< bad arguments (rank, size, buffer)
  broken,        ///< an earlier operation failed; rebuild the collective
};

const char* to_string(collective_errc e);

/// Thrown by every collective on failure. After any error but `invalid` the object is unusable:
/// build a new one (with a new rendezvous prefix) for the members that remain.
class collective_error : public std::runtime_error {
 public:
  collective_error(collective_errc code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  collective_errc code() const { return code_; }

 private:
  collective_errc code_;
};

/// What one all-reduce did.
struct reduce_result {
  std::int64_t non_finite = 0;  ///< NaN or infinite elements in the result (0 when not counted)
};

/// A group of `size()` ranks that reduce buffers together. Calls on one object must come from
/// one thread at a time; every rank must call the same operations in the same order.
class collective {
 public:
  virtual ~collective();
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "local", "gloo" or "nccl".
  virtual std::string backend() const = 0;
  /// Sums n floats at `data` (host memory) over all ranks in place, then multiplies the result
  /// by `scale` (1/size() for a mean). Throws collective_error when a peer misses `timeout`.
  virtual reduce_result all_reduce(float* data, std::size_t n, float scale,
                                   std::chrono::milliseconds timeout) = 0;
};

/// Where a rank finds its peers. `store` is shared by all ranks (e.g. the aggregator's
/// rendezvous actor, or a memory_kv_store in one process); `prefix` must be new for every
/// group built on the same store (e.g. "epoch-3/"), so a rebuilt group never reads old keys.
struct collective_setup {
  std::string backend = "gloo";  ///< local | gloo | nccl
  kv_store* store = nullptr;
  std::string prefix;
  int rank = 0;
  int size = 1;
  std::string host = "127.0.0.1";  ///< gloo: the address this rank listens on for its peers
  int device = 0;                  ///< nccl: the CUDA device index
  std::chrono::milliseconds timeout{30000};  ///< for connecting to all peers
  /// Count NaN/Inf in every result (reduce_result::non_finite). A caller that checks the
  /// result itself turns it off: on the CPU it is one more pass over the buffer.
  bool count_non_finite = true;
};

/// Builds the named backend. Throws collective_error: not_compiled for a backend missing from
/// this build, no_device when nccl finds no GPU, timeout when peers do not all arrive.
std::unique_ptr<collective> make_collective(const collective_setup& setup);

/// The backends this build can make ("local", plus "gloo" and "nccl" when compiled in).
std::string compiled_collectives();

}  // namespace hetsgd
