#include "gpu/cuda/nccl_collective.hpp"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstring>
#include <thread>

#include "gpu/cuda/device_buffer.hpp"
#include "gpu/cuda/tensor_kernels.hpp"
#include "gpu/kv_store.hpp"

namespace hetsgd {

namespace {

std::string cuda_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

[[noreturn]] void fail(collective_errc code, int rank, const std::string& what) {
  throw collective_error(code, "nccl collective: rank " + std::to_string(rank) + ": " + what);
}

void check_cuda(cudaError_t err, int rank, const char* op) {
  if (err != cudaSuccess)
    fail(collective_errc::peer_lost, rank, std::string(op) + ": " + cuda_text(err));
}

void check_text(const std::string& err, int rank) {
  if (!err.empty())
    fail(collective_errc::peer_lost, rank, err);
}

}  // namespace

struct nccl_collective::state {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  cuda::device_buffer staging;  ///< the reduced buffer, grown on demand
  bool broken = false;

  ~state() {
    if (comm != nullptr)
      broken ? ncclCommAbort(comm) : ncclCommDestroy(comm);
    if (stream != nullptr)
      cudaStreamDestroy(stream);
  }
};

nccl_collective::nccl_collective(const collective_setup& setup)
    : state_(std::make_unique<state>()), rank_(setup.rank), size_(setup.size) {
  if (setup.store == nullptr)
    fail(collective_errc::invalid, rank_, "no rendezvous store");
  if (size_ < 1 || rank_ < 0 || rank_ >= size_)
    fail(collective_errc::invalid, rank_, "rank not in [0, " + std::to_string(size_) + ")");
  int devices = 0;
  const cudaError_t count_err = cudaGetDeviceCount(&devices);
  if (count_err != cudaSuccess || devices == 0)
    fail(collective_errc::no_device, rank_,
         "no CUDA device" +
           (count_err != cudaSuccess ? " (" + cuda_text(count_err) + ")" : std::string()));
  if (setup.device < 0 || setup.device >= devices)
    fail(collective_errc::no_device, rank_,
         "CUDA device " + std::to_string(setup.device) + " requested, " + std::to_string(devices) +
           " present");
  check_cuda(cudaSetDevice(setup.device), rank_, "cudaSetDevice");
  check_cuda(cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking), rank_,
             "cudaStreamCreate");

  const std::string key = setup.prefix + "nccl_unique_id";
  ncclUniqueId id;
  if (rank_ == 0) {
    const ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess)
      fail(collective_errc::peer_lost, rank_,
           std::string("ncclGetUniqueId: ") + ncclGetErrorString(r));
    setup.store->set(key, std::vector<char>(id.internal, id.internal + sizeof(id.internal)));
  } else {
    const auto bytes = setup.store->get(key, setup.timeout);
    if (bytes.size() != sizeof(id.internal))
      fail(collective_errc::invalid, rank_,
           "the unique id in the store has " + std::to_string(bytes.size()) + " bytes, not " +
             std::to_string(sizeof(id.internal)));
    std::memcpy(id.internal, bytes.data(), bytes.size());
  }
  const ncclResult_t r = ncclCommInitRank(&state_->comm, size_, id, rank_);
  if (r != ncclSuccess)
    fail(collective_errc::peer_lost, rank_,
         std::string("ncclCommInitRank: ") + ncclGetErrorString(r));
}

nccl_collective::~nccl_collective() = default;

reduce_result nccl_collective::all_reduce(float* data, std::size_t n, float scale,
                                          std::chrono::milliseconds timeout) {
  if (state_->broken)
    fail(collective_errc::broken, rank_, "an earlier operation failed; rebuild the group");
  reduce_result result;
  if (n == 0)
    return result;
  const auto count = static_cast<std::int64_t>(n);
  if (state_->staging.size() < count)
    check_text(state_->staging.allocate(count), rank_);
  float* device = state_->staging.data();
  check_text(state_->staging.upload(data, count), rank_);
  const ncclResult_t r =
    ncclAllReduce(device, device, n, ncclFloat, ncclSum, state_->comm, state_->stream);
  if (r != ncclSuccess) {
    state_->broken = true;
    fail(collective_errc::peer_lost, rank_, std::string("ncclAllReduce: ") + ncclGetErrorString(r));
  }
  // NCCL operations cannot be cancelled, only their communicator aborted: poll until the
  // stream is done, NCCL reports an asynchronous error, or the deadline passes.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const cudaError_t q = cudaStreamQuery(state_->stream);
    if (q == cudaSuccess)
      break;
    if (q != cudaErrorNotReady) {
      state_->broken = true;
      fail(collective_errc::peer_lost, rank_, "all-reduce: " + cuda_text(q));
    }
    ncclResult_t async_err = ncclSuccess;
    ncclCommGetAsyncError(state_->comm, &async_err);
    if (async_err != ncclSuccess && async_err != ncclInProgress) {
      state_->broken = true;
      fail(collective_errc::peer_lost, rank_,
           std::string("all-reduce: ") + ncclGetErrorString(async_err));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      state_->broken = true;  // the destructor aborts the communicator
      fail(collective_errc::timeout, rank_,
           "all-reduce of " + std::to_string(n) + " floats missed its " +
             std::to_string(timeout.count()) + " ms deadline");
    }
    std::this_thread::yield();
  }
  if (scale != 1.0f)
    check_text(cuda::scale(device, scale, count, state_->stream), rank_);
  check_text(cuda::count_non_finite(device, count, &result.non_finite, state_->stream), rank_);
  check_text(state_->staging.download(data, count), rank_);
  return result;
}

}  // namespace hetsgd
