#include "gpu/cuda/tensor_kernels.hpp"

#include <cuda_runtime.h>

namespace hetsgd {
namespace cuda {
namespace {

constexpr int threads_per_block = 256;
constexpr int64_t max_blocks = 4096;

std::string error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + threads_per_block - 1) / threads_per_block;
  return static_cast<unsigned>(blocks < max_blocks ? blocks : max_blocks);
}

__global__ void count_non_finite_kernel(const float* data, int64_t n, unsigned long long* count) {
  __shared__ unsigned int block_count;
  if (threadIdx.x == 0)
    block_count = 0;
  __syncthreads();
  unsigned int mine = 0;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    mine += isfinite(data[i]) ? 0u : 1u;
  if (mine != 0)
    atomicAdd(&block_count, mine);
  __syncthreads();
  if (threadIdx.x == 0 && block_count != 0)
    atomicAdd(count, static_cast<unsigned long long>(block_count));
}

__global__ void scale_accumulate_kernel(float* dst, const float* src, float alpha, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] += alpha * src[i];
}

__global__ void scale_kernel(float* data, float alpha, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    data[i] *= alpha;
}

}  // namespace

std::string count_non_finite(const float* device_data, int64_t n, int64_t* count, void* stream) {
  if (count == nullptr || n < 0 || (n > 0 && device_data == nullptr))
    return "count_non_finite: invalid arguments";
  *count = 0;
  if (n == 0)
    return {};
  auto s = static_cast<cudaStream_t>(stream);
  unsigned long long* device_count = nullptr;
  cudaError_t err = cudaMalloc(&device_count, sizeof(unsigned long long));
  if (err != cudaSuccess)
    return error_text(err);
  unsigned long long host_count = 0;
  err = cudaMemsetAsync(device_count, 0, sizeof(unsigned long long), s);
  if (err == cudaSuccess) {
    count_non_finite_kernel<<<blocks_for(n), threads_per_block, 0, s>>>(device_data, n,
                                                                        device_count);
    err = cudaGetLastError();
  }
  if (err == cudaSuccess)
    err = cudaMemcpyAsync(&host_count, device_count, sizeof(host_count), cudaMemcpyDeviceToHost, s);
  if (err == cudaSuccess)
    err = cudaStreamSynchronize(s);
  cudaFree(device_count);
  if (err != cudaSuccess)
    return error_text(err);
  *count = static_cast<int64_t>(host_count);
  return {};
}

std::string scale_accumulate(float* device_dst, const float* device_src, float alpha, int64_t n,
                             void* stream) {
  if (n < 0 || (n > 0 && (device_dst == nullptr || device_src == nullptr)))
    return "scale_accumulate: invalid arguments";
  if (n == 0)
    return {};
  scale_accumulate_kernel<<<blocks_for(n), threads_per_block, 0,
                            static_cast<cudaStream_t>(stream)>>>(device_dst, device_src, alpha, n);
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? std::string() : error_text(err);
}

std::string scale(float* device_data, float alpha, int64_t n, void* stream) {
  if (n < 0 || (n > 0 && device_data == nullptr))
    return "scale: invalid arguments";
  if (n == 0)
    return {};
  scale_kernel<<<blocks_for(n), threads_per_block, 0, static_cast<cudaStream_t>(stream)>>>(
    device_data, alpha, n);
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? std::string() : error_text(err);
}

}  // namespace cuda
}  // namespace hetsgd
